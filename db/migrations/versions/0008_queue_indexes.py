"""Indexes for the work queues (issue #17 item 3): the PIB desk queue reads the open requests only
(pib_requests.answered_at IS NULL). Its cases come through ix_cases_state (kind, state) and its unpaid SPTNP
billings through ix_pib_billings_paid (paid_on, due_on), both from 0005.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, columns): the same Index(...) as in db/models_pib.py __table_args__
INDEXES = (("ix_pib_requests_open", "pib_requests", ["answered_at", "kind"]),)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
