"""SSH public keys of users (issue #15 item 6): `workstation serve-ssh` maps a login key to its user.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_ssh_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("algorithm", sa.String(length=40), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_ssh_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_ssh_keys")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_user_ssh_keys_fingerprint")),
    )
    op.create_index("ix_user_ssh_keys_user", "user_ssh_keys", ["user_id", "revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_user_ssh_keys_user", table_name="user_ssh_keys")
    op.drop_table("user_ssh_keys")
