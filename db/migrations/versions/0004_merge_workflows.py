"""Join the workflow branches into one head, so `alembic revision --autogenerate` has one parent again; index
documents by issue time (the daily report counts one day's documents).

Revision ID: 0004
Revises: 0003, ecd_0001, pib_0001, plp_0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = ("0003", "ecd_0001", "pib_0001", "plp_0001")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_documents_issued_at", "documents", ["issued_at"])


def downgrade() -> None:
    op.drop_index("ix_documents_issued_at", table_name="documents")
