# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Reading every known user's quota and bytes used from Nextcloud into ``quota_user_state``, for
the admin list (filters over 80 %, over quota) and as the plan's current values. Read as the
quota admin account by impersonation, a bounded number of requests at once."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nc_coop.nextcloud import NextcloudError, NextcloudGateway, NextcloudUser
from nc_coop.quota.models import QuotaUserState
from nc_coop.quota.plan import LDAP, PROVISIONING
from nc_coop.quota.settings import QuotaSettings


def refresh_usage(factory: sessionmaker[Session], gateway: NextcloudGateway, settings: QuotaSettings,
                  user_ids: Iterable[str], progress: Callable[[int, int], None] | None = None,
                  chunk: int = 200) -> tuple[int, int]:
    """(users read, users Nextcloud could not answer for). Needs NC_COOP_QUOTA_ADMIN_USER."""
    admin = settings.admin_user
    if not admin:
        raise ValueError("NC_COOP_QUOTA_ADMIN_USER is not set: nobody to read other users' usage as")
    ids = list(dict.fromkeys(user_ids))

    def read(user_id: str) -> NextcloudUser | None:
        try:
            return gateway.get_user(user_id, as_user=admin)
        except NextcloudError:
            return None

    done = failed = 0
    with ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="quota-read") as pool:
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            users = list(pool.map(read, part))
            at = datetime.now(UTC)
            with factory() as session, session.begin():
                states = {s.nextcloud_user_id: s for s in session.scalars(
                    select(QuotaUserState).where(QuotaUserState.nextcloud_user_id.in_(part)))}
                for user_id, user in zip(part, users, strict=True):
                    if user is None:
                        failed += 1
                        continue
                    state = states.get(user_id) or QuotaUserState(nextcloud_user_id=user_id)
                    if state.nextcloud_user_id not in states:
                        session.add(state)
                    state.backend = LDAP if user.backend == "LDAP" else PROVISIONING
                    state.amount, state.used_bytes = user.quota_bytes, user.used_bytes
                    state.display_name, state.observed_at = user.display_name[:255] or None, at
                    done += 1
            if progress is not None:
                progress(done + failed, len(ids))
    return done, failed
