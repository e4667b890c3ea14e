"""field-unit sync (issue #14): change log, node identity, unit registry, conflicts, unit audit chains, bundles

Revision ID: 0011
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_changes",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("txn_id", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_key", sa.String(200), nullable=False),
        sa.Column("op", sa.String(6), nullable=False),
        sa.Column("changed", sa.Text(), nullable=False),
        sa.Column("base_seq", sa.BigInteger(), nullable=False),
        sa.Column("row", sa.Text(), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("acked_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_sync_changes"),
        sa.UniqueConstraint("change_id", name="uq_sync_changes_change_id"),
    )
    op.create_index("ix_sync_changes_key", "sync_changes", ["table_name", "row_key", "seq"])
    op.create_index("ix_sync_changes_pending", "sync_changes", ["acked_at", "seq"])
    op.create_table(
        "sync_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("unit_code", sa.String(8), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(6), nullable=True),
        sa.Column("public_key", sa.String(100), nullable=True),
        sa.Column("server_url", sa.String(300), nullable=True),
        sa.Column("central_key", sa.String(100), nullable=True),
        sa.Column("pull_cursor", sa.BigInteger(), nullable=False),
        sa.Column("audit_acked", sa.BigInteger(), nullable=False),
        sa.Column("billing_slot", sa.Integer(), nullable=True),
        sa.Column("last_sync_at", UTC, nullable=True),
        sa.Column("last_result", sa.String(300), nullable=False),
        sa.Column("enrolled_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_node"),
    )
    op.create_table(
        "sync_units",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("office_code", sa.String(6), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("token_expires_at", UTC, nullable=True),
        sa.Column("public_key", sa.String(100), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("enrolled_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.Column("last_seen_at", UTC, nullable=True),
        sa.Column("acked_seq", sa.BigInteger(), nullable=False),
        sa.Column("billing_slot", sa.Integer(), nullable=True),
        sa.Column("reported_cursor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_sync_units"),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_key", sa.String(200), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("theirs", sa.Text(), nullable=False),
        sa.Column("ours", sa.Text(), nullable=False),
        sa.Column("detected_at", UTC, nullable=False),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.Column("resolved_by", sa.String(32), nullable=True),
        sa.Column("resolution", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_conflicts"),
        sa.UniqueConstraint("change_id", name="uq_sync_conflicts_change_id"),
    )
    op.create_index("ix_sync_conflicts_open", "sync_conflicts", ["resolved_at", "detected_at"])
    op.create_table(
        "sync_unit_audit",
        sa.Column("unit_code", sa.String(8), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "epoch", "seq", name="pk_sync_unit_audit"),
    )
    op.create_table(
        "sync_bundles",
        sa.Column("bundle_id", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_at", UTC, nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bundle_id", name="pk_sync_bundles"),
        sa.UniqueConstraint("sha256", name="uq_sync_bundles_sha256"),
    )
    # A unit's audit chain as central received it, and the change feed once written: append-only.
    if op.get_bind().dialect.name == "sqlite":
        for table in ("sync_unit_audit",):
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    else:
        op.execute("CREATE TRIGGER sync_unit_audit_append_only BEFORE UPDATE OR DELETE ON sync_unit_audit "
                   "FOR EACH ROW EXECUTE FUNCTION ws_refuse_change()")
        op.execute("CREATE TRIGGER sync_unit_audit_no_truncate BEFORE TRUNCATE ON sync_unit_audit "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ws_refuse_change()")


def downgrade() -> None:
    for table in ("sync_bundles", "sync_unit_audit", "sync_conflicts", "sync_units", "sync_node", "sync_changes"):
        op.drop_table(table)
