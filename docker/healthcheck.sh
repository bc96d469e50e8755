#!/bin/sh
# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
# Healthy when the tunnel runs (HaRP) or when the heartbeat answers (plain Docker).
if [ -n "${HP_SHARED_KEY:-}" ]; then
	pgrep -x frpc >/dev/null
else
	curl -fsS "http://127.0.0.1:${APP_PORT:-23000}/heartbeat" >/dev/null
fi
