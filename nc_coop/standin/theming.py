# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the stand-in serves at ``/apps/theming/theme/<id>.css``: the variable names Nextcloud's
theming app defines, with plausible default values, so pages look and switch themes as inside
Nextcloud. Only names and values; no Nextcloud CSS is copied."""
from __future__ import annotations

LIGHT = {
    "--color-main-background": "#ffffff",
    "--color-main-text": "#222222",
    "--color-text-maxcontrast": "#6b6b6b",
    "--color-background-hover": "#f5f5f5",
    "--color-background-dark": "#ededed",
    "--color-border": "#ededed",
    "--color-border-maxcontrast": "#7f7f7f",
    "--color-primary-element": "#00679e",
    "--color-primary-element-hover": "#005a8a",
    "--color-primary-element-text": "#ffffff",
    "--color-primary-element-light": "#e5f0f5",
    "--color-primary-element-light-hover": "#dbe6eb",
    "--color-primary-element-light-text": "#00293f",
    "--color-error": "#db0606",
    "--color-error-text": "#c40000",
    "--color-text-error": "#c40000",
    "--color-border-error": "#db0606",
    "--color-warning": "#a37200",
    "--color-warning-text": "#7f5900",
    "--color-success": "#2d7b41",
    "--color-info": "#0071ad",
    "--color-box-shadow": "rgba(77, 77, 77, 0.5)",
    "--font-face": 'system-ui, -apple-system, "Segoe UI", Roboto, Oxygen-Sans, Cantarell, Ubuntu, sans-serif',
    "--default-font-size": "15px",
    "--font-size-small": "13px",
    "--default-line-height": "1.5",
    "--default-grid-baseline": "4px",
    "--default-clickable-area": "34px",
    "--border-radius-small": "4px",
    "--border-radius-element": "8px",
    "--border-radius-container": "12px",
    "--border-radius-pill": "100px",
    "--border-width-input": "1px",
    "--border-width-input-focused": "2px",
    "--header-height": "50px",
}
DARK = {
    **LIGHT,
    "--color-main-background": "#171717",
    "--color-main-text": "#ebebeb",
    "--color-text-maxcontrast": "#999999",
    "--color-background-hover": "#292929",
    "--color-background-dark": "#2b2b2b",
    "--color-border": "#333333",
    "--color-border-maxcontrast": "#8c8c8c",
    "--color-primary-element": "#0091f2",
    "--color-primary-element-hover": "#1a9cf3",
    "--color-primary-element-text": "#000000",
    "--color-primary-element-light": "#162633",
    "--color-primary-element-light-hover": "#1d3140",
    "--color-primary-element-light-text": "#d8ecfb",
    "--color-text-error": "#ff5252",
    "--color-error": "#ff5252",
    "--color-border-error": "#ff5252",
    "--color-info": "#0091f2",
    "--color-warning-text": "#e0a000",
    "--color-warning": "#e0a000",
}
THEMES = {"default": LIGHT, "light": LIGHT, "dark": DARK}

SHELL = """
body { margin: 0; background: var(--color-main-background); color: var(--color-main-text); font-family: var(--font-face); }
#header { display: flex; gap: 24px; align-items: center; height: var(--header-height); padding: 0 16px;
          background: var(--color-primary-element); color: var(--color-primary-element-text); }
#header a { color: inherit; font-weight: bold; }
#header .who { margin-inline-start: auto; }
#content { height: calc(100vh - var(--header-height)); }  /* Nextcloud sizes #content below its header */
.login { padding: 32px; }
.login button { min-height: 34px; padding: 0 16px; border-radius: 8px; border: 0; font: inherit; cursor: pointer;
                background: var(--color-primary-element); color: var(--color-primary-element-text); }
"""


def theme_css(theme: str, plain: bool) -> str | None:
    if theme == "standin-shell":
        return SHELL
    variables = THEMES.get(theme)
    if variables is None:
        return None
    body = "".join(f"{name}: {value};" for name, value in variables.items())
    selector = ":root" if plain else f"[data-theme-{theme}]"
    return f"{selector} {{{body}}}\n"
