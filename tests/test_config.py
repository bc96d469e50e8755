# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Settings are read in the factory; a missing or malformed one stops start-up with one line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nc_coop import create_app
from nc_coop.config import (
    ConfigError,
    Letterhead,
    env_setting,
    load_settings,
    parse_bool,
    parse_float,
    parse_int,
    read_secret,
)

ROOT = Path(__file__).resolve().parent.parent
BASE = {"APP_SECRET": "s" * 32, "NEXTCLOUD_URL": "http://nc.example"}


def test_defaults_fill_what_a_manual_install_leaves_out(tmp_path: Path) -> None:
    settings = load_settings({**BASE, "APP_PERSISTENT_STORAGE": str(tmp_path)})
    assert settings.app_id == "nc_coop" and settings.app_port == 23000 and settings.app_host == "127.0.0.1"
    assert settings.database_url == f"sqlite:///{tmp_path / 'nc_coop.sqlite3'}"
    assert settings.unix_socket is None and settings.admin_groups == ("admin",)
    assert "s" * 32 not in repr(settings)


def test_harp_means_the_unix_socket() -> None:
    assert load_settings({**BASE, "HP_SHARED_KEY": "k"}).unix_socket == "/tmp/exapp.sock"


def test_overrides_win_over_the_environment() -> None:
    assert load_settings({**BASE, "APP_PORT": "1"}, {"APP_PORT": 2}).app_port == 2


@pytest.mark.parametrize(("env", "name", "reason"), [
    ({"NEXTCLOUD_URL": "http://nc.example"}, "APP_SECRET", "required"),
    ({**BASE, "APP_SECRET": "short"}, "APP_SECRET", "at least 16"),
    ({"APP_SECRET": "s" * 32}, "NEXTCLOUD_URL", "required"),
    ({**BASE, "NEXTCLOUD_URL": "nc.example"}, "NEXTCLOUD_URL", "http(s) URL"),
    ({**BASE, "APP_PORT": "eighty"}, "APP_PORT", "whole number"),
    ({**BASE, "APP_PORT": "70000"}, "APP_PORT", "between 1 and 65535"),
    ({**BASE, "APP_ID": "Bad Id"}, "APP_ID", "lower-case"),
    ({**BASE, "DATABASE_URL": "mysql://x"}, "DATABASE_URL", "sqlite"),
    ({**BASE, "NC_COOP_THREADS": "1"}, "NC_COOP_THREADS", "between 2 and 64"),
    ({**BASE, "NC_COOP_DEMO": "maybe"}, "NC_COOP_DEMO", "true or false"),
    ({**BASE, "NC_COOP_NEXTCLOUD_TIMEOUT": "-1"}, "NC_COOP_NEXTCLOUD_TIMEOUT", "between 0 and 600"),
    ({**BASE, "NC_COOP_ADMIN_GROUPS": "board,,office"}, "NC_COOP_ADMIN_GROUPS", "comma-separated"),
    ({**BASE, "NC_COOP_TIME_ZONE": "Europe/Berlinn"}, "NC_COOP_TIME_ZONE", "IANA time zone name"),
    ({**BASE, "NC_COOP_TIME_ZONE": "Europe"}, "NC_COOP_TIME_ZONE", "IANA time zone name"),  # a folder of tzdata
    ({**BASE, "NC_COOP_TIME_ZONE": "../../etc/passwd"}, "NC_COOP_TIME_ZONE", "IANA time zone name"),
    ({**BASE, "NC_COOP_TIME_ZONE": "CET+1"}, "NC_COOP_TIME_ZONE", "IANA time zone name"),
])
def test_bad_settings_name_the_setting_and_the_reason(env: dict[str, str], name: str, reason: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert err.value.name == name and reason in str(err.value)
    assert "\n" not in str(err.value)


def test_the_time_zone_is_europe_berlin_unless_set() -> None:
    assert load_settings(BASE).time_zone == ZoneInfo("Europe/Berlin")
    assert load_settings({**BASE, "NC_COOP_TIME_ZONE": " America/New_York "}).time_zone == ZoneInfo("America/New_York")


def test_a_bad_time_zone_stops_the_app_factory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^NC_COOP_TIME_ZONE: must be an IANA time zone name like Europe/Berlin, "
                                          "got 'Mars/Olympus'$"):
        create_app({**BASE, "APP_PERSISTENT_STORAGE": str(tmp_path), "NC_COOP_TIME_ZONE": "Mars/Olympus"})


def test_the_letterhead_address_lines_are_separated_by_a_bar() -> None:
    settings = load_settings({**BASE, "NC_COOP_LETTERHEAD_NAME": " Wolke Musterstadt eG ",
                              "NC_COOP_LETTERHEAD_ADDRESS": "Hauptstraße 5 | 12345 Musterstadt|",
                              "NC_COOP_LETTERHEAD_REGISTER": "Amtsgericht Musterstadt GnR 123"})
    assert settings.letterhead == Letterhead("Wolke Musterstadt eG", ("Hauptstraße 5", "12345 Musterstadt"),
                                             "Amtsgericht Musterstadt GnR 123")
    assert settings.letterhead.complete
    unset = load_settings({**BASE, "NC_COOP_LETTERHEAD_NAME": "  "}).letterhead
    assert unset == Letterhead(None, (), None) and not unset.complete


def test_the_shared_parsers_name_the_variable_and_the_reason() -> None:
    assert env_setting({"X": " 7 "}, "X", 1, parse_int(0, 9)) == 7
    assert env_setting({"X": " "}, "X", 1, parse_int(0, 9)) == 1  # blank: the default
    assert parse_bool("X", "Yes") is True and parse_bool("X", "off") is False and parse_float(0, 1)("X", "0.5") == 0.5
    for parse, raw, reason in ((parse_int(0, 9), "10", "between 0 and 9"), (parse_bool, "maybe", "true or false"),
                               (parse_float(0, 100), "x", "a number")):
        with pytest.raises(ConfigError, match=f"^X: must be {reason}"):
            parse("X", raw)


def test_a_secret_comes_from_the_variable_or_its_file_and_is_never_in_an_error(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-the-file\n", encoding="utf-8")
    assert read_secret({"PW": "given"}, "PW") == "given" and read_secret({}, "PW") is None
    assert read_secret({"PW_FILE": str(secret_file)}, "PW") == "from-the-file"
    with pytest.raises(ConfigError, match="^PW: set either it or PW_FILE, not both$") as both:
        read_secret({"PW": "given-secret", "PW_FILE": str(secret_file)}, "PW")
    secret_file.write_bytes(b"\xff-not-utf-8-secret")
    with pytest.raises(ConfigError, match=r"^PW_FILE: cannot be read \(UnicodeDecodeError\)") as unreadable:
        read_secret({"PW_FILE": str(secret_file)}, "PW")
    assert "given-secret" not in str(both.value) and "not-utf-8-secret" not in str(unreadable.value)


def test_python_app_py_stops_with_one_line_naming_the_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "NEXTCLOUD_", "NC_COOP_"))}
    env.update(NEXTCLOUD_URL="http://127.0.0.1:9", APP_PERSISTENT_STORAGE=str(tmp_path))
    result = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["nc_coop: configuration error: APP_SECRET: is required and not set"]


def test_importing_the_package_reads_no_configuration() -> None:
    code = "import os; os.environ.clear(); import nc_coop, nc_coop.app, nc_coop.cli; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
