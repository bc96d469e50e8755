# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The ExApp image for AppAPI's Docker/HaRP deploy. Build: docker build -t ghcr.io/nc-coop/nc_coop:0.1.0 .
FROM python:3.11-slim-bookworm

ARG FRP_VERSION=0.61.1
# frpc tunnels HaRP to /tmp/exapp.sock when HP_SHARED_KEY is set (the HaRP convention);
# the archive is checked against the sha256 list published with the same release.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends curl ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    case "$(uname -m)" in aarch64) arch=arm64 ;; *) arch=amd64 ;; esac; \
    name="frp_${FRP_VERSION}_linux_${arch}"; \
    base="https://github.com/fatedier/frp/releases/download/v${FRP_VERSION}"; \
    cd /tmp; \
    curl -fsSLO "${base}/${name}.tar.gz"; \
    curl -fsSLO "${base}/frp_sha256_checksums.txt"; \
    grep " ${name}.tar.gz\$" frp_sha256_checksums.txt | sha256sum -c -; \
    tar -xzf "${name}.tar.gz"; \
    install -m 0755 "${name}/frpc" /usr/local/bin/frpc; \
    rm -rf /tmp/frp*

WORKDIR /ex_app
COPY pyproject.toml README.md LICENSE ./
COPY LICENSES ./LICENSES
COPY nc_coop ./nc_coop
COPY templates ./templates
COPY appinfo ./appinfo
COPY l10n ./l10n
COPY app.py ./
RUN pip install --no-cache-dir . && useradd --system --home /ex_app nc_coop
COPY --chmod=0755 docker/start.sh docker/healthcheck.sh /

ENV APP_PERSISTENT_STORAGE=/nc_app_nc_coop_data
USER nc_coop
ENTRYPOINT ["/start.sh", "nc-coop", "serve"]
HEALTHCHECK --interval=2s --timeout=2s --retries=300 CMD ["/healthcheck.sh"]
