# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""LDAP links by member number are checked against the entry and held for the board's review (issue 13, point 4).

The sync linked a directory account to the party of the membership whose number the entry
carries, whatever the names: a typo in ``ncCoopMemberNumber`` showed one member's bookings,
address and data export to another. From now on such a link is ``held`` (it grants nothing)
unless the party's name or e-mail matches the entry, until the board confirms or removes it.

Schema: ``account`` gets how the link came about (``link_source``), its status
(``link_status``: confirmed, held, removed), why it was held, the sync run that made it and who
reviewed it; ``ldap_sync_run`` gets the links each run held. Accounts are never deleted any more
(removing a link marks it): DELETE on ``account`` fails, as on the sync's own tables (0009).

Data: the links the sync made by member number before this revision are checked once, with the
rule the sync applies now (spelled out here so the migration never changes); those that do not
match are held, in one audit event. Links the sync made by uid, or with a party it created, are
marked as such and stay confirmed.

Revision ID: 0011
Revises: 0010
"""
import json
import unicodedata
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ("link_source", "link_status", "link_note", "link_run_id", "link_reviewed_at", "link_reviewed_by")
REASON = "name_and_email_differ"
ACTOR = "nc_coop-migration-0011"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION nc_coop_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are never deleted: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""

# Sync-made links: user entries the sync linked to an account of a party it did not create.
# Which of them came by member number is decided below, from the entry's attributes.
_SYNC_LINKS = sa.text("""
SELECT e.account_id, e.attrs, e.owns_party, e.party_id, a.party_id, a.created_at, r.started_at,
       p.kind, p.given_names, p.family_name, p.legal_name, p.email
FROM ldap_entry e
JOIN account a ON a.id = e.account_id
JOIN party p ON p.id = a.party_id
LEFT JOIN ldap_sync_run r ON r.id = e.first_seen_run_id
WHERE e.kind = 'user' AND e.account_id IS NOT NULL
ORDER BY e.account_id
""")


def _norm(text):
    return " ".join(unicodedata.normalize("NFC", text or "").split()).casefold()


def _matches(kind, given_names, family_name, legal_name, email, attrs):
    """The party is the entry: its name (natural: given + family; else the legal name) or its e-mail."""
    entry_names = {_norm(f"{attrs.get('given_name') or ''} {attrs.get('family_name') or ''}"),
                   _norm(attrs.get("display_name"))} - {""}
    own = _norm(f"{given_names or ''} {family_name or ''}") if kind == "natural" else _norm(legal_name)
    if own and own in entry_names:
        return True
    mail = attrs.get("mail")
    return bool(email and mail and email.strip().casefold() == mail.strip().casefold())


def _comparable(value):
    """A timestamp as UTC text: SQLite returns the text nc_coop wrote (UTC), PostgreSQL a datetime."""
    if isinstance(value, str):
        return value.replace("T", " ")[:26]
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _recheck(bind) -> list[int]:
    members = dict(bind.execute(sa.text("SELECT member_no, party_id FROM membership")).all())
    held, by_number, created = [], [], []
    for (account_id, attrs_text, owns, entry_party, account_party, account_created, run_started,
         kind, given, family, legal, email) in bind.execute(_SYNC_LINKS).all():
        if owns:
            created.append(account_id)
            continue
        attrs = json.loads(attrs_text or "{}")
        number = attrs.get("member_no")
        if number is None or members.get(number) != entry_party or account_party != entry_party:
            continue  # linked by uid to an account made in nc_coop
        # An account older than the sync's first sight of the entry was made by someone else and
        # only found by the sync: not the sync's link.
        if run_started is not None and _comparable(account_created) < _comparable(run_started):
            continue
        by_number.append(account_id)
        if not _matches(kind, given, family, legal, email, attrs):
            held.append(account_id)
    update = sa.text("UPDATE account SET link_source = :source WHERE id = :id")
    for ids, source in ((created, "ldap_new"), (by_number, "ldap_member_no")):
        for account_id in ids:
            bind.execute(update, {"source": source, "id": account_id})
    for account_id in held:
        bind.execute(sa.text("UPDATE account SET link_status = 'held', link_note = :reason WHERE id = :id"),
                     {"reason": REASON, "id": account_id})
    return held


def _audit(bind, held: list[int]) -> None:
    """One event in the audit chain naming the held accounts (ids only)."""
    from sqlalchemy.orm import Session

    from nc_coop.audit.chain import record

    with Session(bind=bind) as session:
        record(session, actor=ACTOR, action="account.links_held", entity="account", entity_id=None,
               diff={"accounts": held, "reason": REASON, "by": "migration 0011: one-time re-check of links "
                                                                "the LDAP sync made by member number"})
        session.flush()


def upgrade() -> None:
    op.add_column("account", sa.Column("link_source", sa.String(20), nullable=False, server_default="admin"))
    op.add_column("account", sa.Column("link_status", sa.String(10), nullable=False, server_default="confirmed"))
    op.add_column("account", sa.Column("link_note", sa.String(255), nullable=True))
    op.add_column("account", sa.Column("link_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                       nullable=True))
    op.add_column("account", sa.Column("link_reviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("account", sa.Column("link_reviewed_by", sa.String(255), nullable=True))
    op.add_column("ldap_sync_run", sa.Column("held_links", sa.Text(), nullable=True))
    bind = op.get_bind()
    held = _recheck(bind)
    if held:
        _audit(bind, held)
    if bind.dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER account_never_deleted BEFORE DELETE OR TRUNCATE ON account "
                   "FOR EACH STATEMENT EXECUTE FUNCTION nc_coop_never_deleted()")
    else:
        op.execute("CREATE TRIGGER account_never_deleted BEFORE DELETE ON account "
                   "BEGIN SELECT RAISE(ABORT, 'rows of account are never deleted: DELETE is not allowed'); END")


def downgrade() -> None:
    op.execute("DROP TRIGGER account_never_deleted ON account" if op.get_bind().dialect.name == "postgresql"
               else "DROP TRIGGER account_never_deleted")
    op.drop_column("ldap_sync_run", "held_links")
    with op.batch_alter_table("account", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
