"""The office's PAdES certificate (issue #11): issued PDFs carry a PAdES signature made with a P-256 key beside the
Ed25519 seal key; every workstation and central verify it against this self-signed certificate (PEM).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: offices set up before this revision get their certificate at the next `db upgrade`
    # (IssuanceService.ensure_office_key), which runs right after the migrations.
    with op.batch_alter_table("offices") as batch:
        batch.add_column(sa.Column("signing_certificate", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offices") as batch:
        batch.drop_column("signing_certificate")
