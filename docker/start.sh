#!/bin/sh
# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
# Under HaRP (HP_SHARED_KEY set) start frpc, which forwards HaRP's remote port to the Unix
# socket nc_coop listens on; then run the given command (the HaRP exapps_dev convention).
set -eu
if [ -n "${HP_SHARED_KEY:-}" ]; then
	cat > /tmp/frpc.toml <<TOML
serverAddr = "${HP_FRP_ADDRESS%%:*}"
serverPort = ${HP_FRP_PORT:-8782}
metadatas.token = "${HP_SHARED_KEY}"
loginFailExit = false
transport.tls.enable = false

[[proxies]]
name = "${APP_ID:-nc_coop}"
type = "tcp"
localIP = ""
remotePort = ${APP_PORT}
transport.proxyProtocolVersion = "v1"
[proxies.plugin]
type = "unix_domain_socket"
unixPath = "/tmp/exapp.sock"
TOML
	frpc -c /tmp/frpc.toml &
fi
exec "$@"
