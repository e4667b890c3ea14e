"""audit chain anchored and guarded (issue #11 item 2)

- audit_anchors: the chain's head (seq, row_hash) signed with the office's Ed25519 key; append-only.
- audit_log.row_mac: HMAC-SHA256 of each row's hash under a secret derived from the office key, so that a row
  appended by someone with database access but without the key file is detected even when its hash is right.
- INSERT on audit_log guarded: seq = max + 1 and prev_hash = the current head.
- documents: the only UPDATE is ISSUED -> VOID with every other column unchanged and a confirming second user;
  no DELETE, no TRUNCATE.
- counters: the only UPDATE is last_value + 1; a new row starts at 1; no DELETE, no TRUNCATE.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
# Every documents column but the void fields: none may change, ever.
DOC_FROZEN = ["id", "doc_type", "number", "version", "seq", "year", "office_code", "unit_code", "case_id",
              "supersedes_id", "issue_date", "issued_at", "issued_by", "issued_by_login", "content_json",
              "content_hash", "signature"]
# The columns 0001 froze (restored on downgrade).
DOC_FROZEN_0001 = ["doc_type", "number", "version", "seq", "year", "office_code", "content_json", "content_hash",
                   "signature", "issued_at", "issued_by", "issued_by_login", "issue_date", "case_id"]
COUNTER_KEY = ["office_code", "unit_code", "doc_type", "year"]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("office_code", sa.String(length=6), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_anchors")),
    )
    op.add_column("audit_log", sa.Column("row_mac", sa.String(length=64), nullable=True))
    if _sqlite():
        _sqlite_guards()
    else:
        _pg_guards()


def _sqlite_guards() -> None:
    refuse = "BEGIN SELECT RAISE(ABORT, '{}'); END"
    op.execute(
        "CREATE TRIGGER audit_log_insert_chain BEFORE INSERT ON audit_log "
        "WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log) "
        f"OR NEW.prev_hash IS NOT coalesce((SELECT row_hash FROM audit_log ORDER BY seq DESC LIMIT 1), '{GENESIS}') "
        + refuse.format("audit_log: seq must be the next number and prev_hash the current head"))
    op.execute("CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors "
               + refuse.format("audit_anchors is append-only"))
    op.execute("CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors "
               + refuse.format("audit_anchors is append-only"))
    op.execute(
        "CREATE TRIGGER audit_anchors_insert_next BEFORE INSERT ON audit_anchors "
        "WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_anchors) "
        "OR NEW.head_seq < (SELECT coalesce(max(head_seq), 0) FROM audit_anchors) "
        + refuse.format("audit_anchors: seq must be the next number and the head may not go back"))
    # documents: replace 0001's guard with the stricter one (same name: tests and tools refer to it)
    op.execute("DROP TRIGGER IF EXISTS documents_only_void")
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in DOC_FROZEN)
    op.execute(
        "CREATE TRIGGER documents_only_void BEFORE UPDATE ON documents "
        f"WHEN NOT (OLD.status = 'ISSUED' AND NEW.status = 'VOID' AND {same} "
        "AND OLD.voided_at IS NULL AND OLD.void_confirmed_by IS NULL "
        "AND NEW.voided_at IS NOT NULL AND NEW.void_confirmed_by IS NOT NULL "
        "AND NEW.void_confirmed_by IS NOT NEW.voided_by AND coalesce(NEW.void_reason, '') <> '') "
        + refuse.format("issued documents are immutable; only ISSUED -> VOID, confirmed by a second user"))
    same_key = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in COUNTER_KEY)
    op.execute(
        "CREATE TRIGGER counters_only_increment BEFORE UPDATE ON counters "
        f"WHEN NOT (NEW.last_value = OLD.last_value + 1 AND {same_key}) "
        + refuse.format("counters only advance by one"))
    op.execute("CREATE TRIGGER counters_start_at_one BEFORE INSERT ON counters WHEN NEW.last_value <> 1 "
               + refuse.format("counters only advance by one"))
    op.execute("CREATE TRIGGER counters_no_delete BEFORE DELETE ON counters "
               + refuse.format("counters are never deleted"))


def _pg_guards() -> None:
    op.execute(f"""CREATE FUNCTION ws_audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE last_seq bigint; last_hash text;
        BEGIN
          SELECT seq, row_hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
          IF NEW.seq IS DISTINCT FROM coalesce(last_seq, 0) + 1
             OR NEW.prev_hash IS DISTINCT FROM coalesce(last_hash, '{GENESIS}') THEN
            RAISE EXCEPTION 'audit_log: seq must be the next number and prev_hash the current head';
          END IF;
          RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER audit_log_insert_chain BEFORE INSERT ON audit_log "
               "FOR EACH ROW EXECUTE FUNCTION ws_audit_log_chain()")
    op.execute("""CREATE FUNCTION ws_audit_anchor_next() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.seq IS DISTINCT FROM (SELECT coalesce(max(seq), 0) + 1 FROM audit_anchors)
             OR NEW.head_seq < (SELECT coalesce(max(head_seq), 0) FROM audit_anchors) THEN
            RAISE EXCEPTION 'audit_anchors: seq must be the next number and the head may not go back';
          END IF;
          RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER audit_anchors_insert_next BEFORE INSERT ON audit_anchors "
               "FOR EACH ROW EXECUTE FUNCTION ws_audit_anchor_next()")
    # ws_refuse_change() comes from 0001
    op.execute("CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE ON audit_anchors "
               "FOR EACH ROW EXECUTE FUNCTION ws_refuse_change()")
    for table in ("audit_anchors", "documents", "counters"):
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ws_refuse_change()")
    _pg_documents_function(DOC_FROZEN, strict=True)
    same_key = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in COUNTER_KEY)
    op.execute(f"""CREATE FUNCTION ws_counters_only_increment() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'counters are never deleted';
          ELSIF TG_OP = 'INSERT' THEN
            IF NEW.last_value IS DISTINCT FROM 1 THEN RAISE EXCEPTION 'counters only advance by one'; END IF;
          ELSIF NOT (NEW.last_value = OLD.last_value + 1 AND {same_key}) THEN
            RAISE EXCEPTION 'counters only advance by one';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER counters_only_increment BEFORE INSERT OR UPDATE OR DELETE ON counters "
               "FOR EACH ROW EXECUTE FUNCTION ws_counters_only_increment()")


def _pg_documents_function(frozen: list[str], *, strict: bool) -> None:
    same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in frozen)
    extra = ("AND OLD.voided_at IS NULL AND OLD.void_confirmed_by IS NULL "
             "AND NEW.voided_at IS NOT NULL AND NEW.void_confirmed_by IS NOT NULL "
             "AND NEW.void_confirmed_by IS DISTINCT FROM NEW.voided_by AND coalesce(NEW.void_reason, '') <> ''"
             if strict else "")
    message = ("issued documents are immutable; only ISSUED -> VOID, confirmed by a second user" if strict
               else "issued documents are immutable; only ISSUED -> VOID")
    op.execute(f"""CREATE OR REPLACE FUNCTION ws_documents_only_void() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NOT (OLD.status = 'ISSUED' AND NEW.status = 'VOID' AND {same} {extra}) THEN
            RAISE EXCEPTION '{message}';
          END IF;
          RETURN NEW;
        END $$""")


def downgrade() -> None:
    if _sqlite():
        for t in ("audit_log_insert_chain", "audit_anchors_no_update", "audit_anchors_no_delete",
                  "audit_anchors_insert_next", "counters_only_increment", "counters_start_at_one",
                  "counters_no_delete", "documents_only_void"):
            op.execute(f"DROP TRIGGER IF EXISTS {t}")
        same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in DOC_FROZEN_0001)
        op.execute("CREATE TRIGGER documents_only_void BEFORE UPDATE ON documents "
                   f"WHEN NOT (OLD.status = 'ISSUED' AND NEW.status = 'VOID' AND {same}) "
                   "BEGIN SELECT RAISE(ABORT, 'issued documents are immutable; only ISSUED -> VOID'); END")
        # ALTER TABLE DROP COLUMN (SQLite >= 3.35): keeps the table, and with it 0001's triggers
        op.execute("ALTER TABLE audit_log DROP COLUMN row_mac")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_insert_chain ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS counters_only_increment ON counters")
        op.execute("DROP TRIGGER IF EXISTS counters_no_truncate ON counters")
        op.execute("DROP TRIGGER IF EXISTS documents_no_truncate ON documents")
        op.execute("DROP FUNCTION IF EXISTS ws_audit_log_chain()")
        op.execute("DROP FUNCTION IF EXISTS ws_counters_only_increment()")
        op.execute("DROP FUNCTION IF EXISTS ws_audit_anchor_next() CASCADE")
        _pg_documents_function(DOC_FROZEN_0001, strict=False)
        op.drop_column("audit_log", "row_mac")
    op.drop_table("audit_anchors")
