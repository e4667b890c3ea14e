"""merge the heads of 0009 (SSH keys), 0010 (risk) and 0011 (sync); the approvals inbox (issue #15 item 2);
the audit log by user

Revision ID: 0012
Revises: 0009, 0010, 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = ("0009", "0010", "0011")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("requested_by_login", sa.String(32), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("decided_by_login", sa.String(32), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("answer", sa.String(500), nullable=True),
        sa.Column("office_code", sa.String(6), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_approval_requests"),
    )
    op.create_index("ix_approval_requests_open", "approval_requests", ["state", "requested_at"])
    op.create_index("ix_approval_requests_mine", "approval_requests", ["requested_by", "requested_at"])
    # the audit viewer's filter by user, newest first (issue #15 item 4)
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_login", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_table("approval_requests")
