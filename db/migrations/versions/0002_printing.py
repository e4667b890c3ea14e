"""printing: document_prints (append-only) and print_jobs (failed prints kept for retry)

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_prints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("copy_number", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed_by", sa.Uuid(), nullable=True),
        sa.Column("printed_by_login", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_document_prints_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_prints")),
    )
    with op.batch_alter_table("document_prints") as batch_op:
        batch_op.create_index(batch_op.f("ix_document_prints_document_id"), ["document_id"], unique=False)
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_print_jobs_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_jobs")),
    )
    with op.batch_alter_table("print_jobs") as batch_op:
        batch_op.create_index(batch_op.f("ix_print_jobs_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_jobs_status"), ["status"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER document_prints_append_only_u BEFORE UPDATE ON document_prints "
                   "BEGIN SELECT RAISE(ABORT, 'document_prints is append-only'); END")
        op.execute("CREATE TRIGGER document_prints_append_only_d BEFORE DELETE ON document_prints "
                   "BEGIN SELECT RAISE(ABORT, 'document_prints is append-only'); END")
    else:
        op.execute("CREATE TRIGGER document_prints_append_only BEFORE UPDATE OR DELETE ON document_prints "
                   "FOR EACH ROW EXECUTE FUNCTION ws_refuse_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS document_prints_append_only_u")
        op.execute("DROP TRIGGER IF EXISTS document_prints_append_only_d")
    else:
        op.execute("DROP TRIGGER IF EXISTS document_prints_append_only ON document_prints")
    op.drop_table("print_jobs")
    op.drop_table("document_prints")
