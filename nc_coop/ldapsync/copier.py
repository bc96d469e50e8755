# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""PostgreSQL COPY in a thread of its own, in the sync's one transaction.

Without it the writer waits for each COPY to finish (the server fills the indexes, the member
search's trigram indexes among them, and checks the foreign keys at the end of the statement)
before it builds the next batch: on two cores the database and the Python side took turns
instead of working at the same time.

The copier owns the connection while it has work: the writer hands it whole batches, in order,
and calls ``drain()`` before it uses the connection itself (a lookup, an update, the audit
log), so statements still run in the order the writer issued them. The first error stops the
copier; ``submit`` and ``drain`` raise it, and the caller's transaction is rolled back as
before. A bounded queue keeps the batches held at once (and so the memory) small.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Any

QUEUE_BATCHES = 6  # batches built ahead of the copier
_STOP = None


def copy_rows(connection: Any, statement: str, types: list[str] | None, columns: Sequence[list[Any]]) -> None:
    """One ``COPY ... FROM STDIN`` on psycopg's connection; ``columns``: one list per column, in
    the statement's order; ``types``: PostgreSQL type names for the binary format, or None."""
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        if types:
            copy.set_types(types)
        for row in zip(*columns):
            copy.write_row(row)


class CopyFailed(Exception):
    """A COPY in the background failed; ``__cause__`` is the database's error."""


class BackgroundCopier:
    """``copier = BackgroundCopier(psycopg_connection).start()``; ``copier.submit(...)`` per
    batch; ``copier.drain()`` before any other statement; ``copier.close()`` at the end."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection  # psycopg's own connection (not SQLAlchemy's)
        self._queue: queue.Queue[tuple[str, list[str] | None, list[list[Any]]] | None] = \
            queue.Queue(maxsize=QUEUE_BATCHES)
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ldap-sync-copier", daemon=True)

    def start(self) -> BackgroundCopier:
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is _STOP:
                    return
                if self._error is None and not self._cancelled.is_set():  # else it rolls back anyway
                    self._copy(*job)
            except BaseException as exc:  # noqa: BLE001 - handed to the writer by submit/drain
                self._error = exc
            finally:
                self._queue.task_done()

    def _copy(self, statement: str, types: list[str] | None, columns: list[list[Any]]) -> None:
        copy_rows(self._connection, statement, types, columns)

    def _raise(self) -> None:
        if self._error is not None:
            raise CopyFailed(f"{type(self._error).__name__}: {self._error}") from self._error

    def submit(self, statement: str, types: list[str] | None, columns: Sequence[list[Any]]) -> None:
        """Queue one COPY (``columns``: one list per column, in the statement's order); waits
        while the queue is full. Raises the error of an earlier COPY."""
        self._raise()
        self._queue.put((statement, types, list(columns)))

    def drain(self) -> None:
        """Wait until every queued COPY has run; raise the first error."""
        self._queue.join()
        self._raise()

    def close(self, *, cancel: bool = False) -> None:
        """Stop the thread and wait for it; what is still queued runs first, unless ``cancel``
        (the writer failed: the transaction rolls back) or an earlier COPY failed."""
        if cancel:
            self._cancelled.set()
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
