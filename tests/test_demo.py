# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""``nc-coop demo``: one command, a member and an admin can click through, and it says it is a demo."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_demo(port: int, data: Path) -> Iterator[str]:
    """``nc-coop demo`` as a user starts it; yields the stand-in's URL once the banner is out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "NEXTCLOUD_", "NC_COOP_", "DATABASE_"))}
    demo = subprocess.Popen([sys.executable, "-m", "nc_coop.cli", "demo", "--port", str(port), "--data", str(data)],
                            cwd=data, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = ""
        deadline = time.monotonic() + 60
        while "Ctrl+C" not in banner and time.monotonic() < deadline and demo.poll() is None:
            banner += demo.stdout.readline()
        assert "DEMO" in banner and f"http://127.0.0.1:{port}/" in banner, banner + demo.stderr.read()
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=20)
        finally:
            if demo.poll() is None:
                demo.kill()
        demo.stdout.close()
        demo.stderr.close()


def login(base: str, user: str) -> requests.Session:
    session = requests.Session()
    session.post(f"{base}/index.php/login", data={"user": user}, timeout=10)
    return session


def test_the_demo_serves_member_and_admin_pages_behind_the_standin(tmp_path: Path) -> None:
    port = _free_port()
    with running_demo(port, tmp_path) as base:
        assert (tmp_path / "nc_coop.sqlite3").exists()

        member = requests.Session()
        landing = member.post(f"{base}/index.php/login", data={"user": "alice"}, timeout=10)
        assert landing.url.endswith("/index.php/apps/app_api/embedded/nc_coop/coop")
        assert re.search(r'<script src="/index.php/apps/app_api/proxy/nc_coop/js/embed.js"', landing.text)
        page = member.get(f"{base}/index.php/apps/app_api/proxy/nc_coop/", timeout=10)
        assert page.status_code == 200 and "Alice Normal" in page.text
        # alice sees her own entry and the association she represents, nobody else's
        assert ">Alice Normal</h2>" in page.text and ">TSV Musterstadt e.V.</h2>" in page.text
        assert "Hoffmann IT GmbH" not in page.text and "Bea Vorstand" not in page.text
        assert "Demo:" in page.text  # the page itself says it is a demo
        assert member.get(f"{base}/index.php/apps/app_api/proxy/nc_coop/admin/", timeout=10).status_code == 403
        documents = member.get(f"{base}/index.php/apps/app_api/proxy/nc_coop/documents", timeout=10)
        assert documents.status_code == 200 and "Protokoll der Generalversammlung 2025" in documents.text

        # bea is on the board (NC_COOP_ADMIN_GROUPS) without being a Nextcloud admin, German-speaking.
        board = login(base, "bea")
        status = board.get(f"{base}/index.php/apps/app_api/proxy/nc_coop/admin/", timeout=10)
        assert status.status_code == 200 and "Systemstatus" in status.text
        admin = login(base, "admin")
        assert "System status" in admin.get(f"{base}/index.php/apps/app_api/proxy/nc_coop/admin/", timeout=10).text
        # the office (Geschäftsstelle) administers the cooperative too: status, register, documents
        office = login(base, "office")
        for path, heading in (("admin/", "Systemstatus"), ("admin/members", "Mitglieder"),
                              ("admin/documents", "Dokumente")):
            answer = office.get(f"{base}/index.php/apps/app_api/proxy/nc_coop/{path}", timeout=10)
            assert answer.status_code == 200 and heading in answer.text, path


def _published_titles(base: str) -> list[str]:
    listed = login(base, "admin").get(f"{base}/index.php/apps/app_api/proxy/nc_coop/api/v1/admin/documents",
                                      timeout=10)
    assert listed.status_code == 200
    return sorted(d["title"] for d in listed.json()["documents"])


def test_restarting_the_demo_on_the_same_data_adds_nothing(tmp_path: Path) -> None:
    port = _free_port()
    with running_demo(port, tmp_path) as base:
        first = _published_titles(base)
        members = login(base, "admin").get(f"{base}/index.php/apps/app_api/proxy/nc_coop/api/v1/admin/members",
                                           timeout=10).json()
    with running_demo(port, tmp_path) as base:
        assert _published_titles(base) == first  # each document once, as after the first start
        again = login(base, "admin").get(f"{base}/index.php/apps/app_api/proxy/nc_coop/api/v1/admin/members",
                                         timeout=10).json()
        assert again == members
        # the files written again on the new start are the published bytes: members still get them
        alice = login(base, "alice")
        page = alice.get(f"{base}/index.php/apps/app_api/proxy/nc_coop/documents", timeout=10)
        ids = sorted(set(re.findall(r'documents/(\d+)/file', page.text)))
        assert len(ids) == 3, page.text
        for document_id in ids:
            pdf = alice.get(f"{base}/index.php/apps/app_api/proxy/nc_coop/documents/{document_id}/file", timeout=10)
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-"), document_id
    assert first == ["Einladung zur Generalversammlung 2026", "Protokoll der Generalversammlung 2025", "Satzung"]
