"""a password reset by an administrator must be changed at the next login (users.must_change_password); the
TPS registry's rows carry a version for optimistic locking (plp_tps.version) — issue #15 items 3 and 7

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # server defaults: the rows already there get false / 1 (existing users keep their passwords)
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("plp_tps", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    # batch: SQLite rebuilds the table where it cannot drop a column in place
    with op.batch_alter_table("plp_tps") as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("must_change_password")
