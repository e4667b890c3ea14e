"""Indexes for the typed cross-workflow queries: the daily report (openings per day, billings and payments per
day, breaches open at the end of a day, BTD) and the gate's SPPB look-up (cases of a kind in one state).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, columns): the same Index(...) as in db/models*.py __table_args__
INDEXES = (
    ("ix_cases_opened", "cases", ["opened_on", "kind", "lane"]),
    ("ix_cases_state", "cases", ["kind", "state"]),
    ("ix_pib_cases_determination", "pib_cases", ["determined_on", "registered_on"]),
    ("ix_pib_cases_sppb", "pib_cases", ["sppb_on", "first_storage_on"]),
    ("ix_pib_billings_issued", "pib_billings", ["issued_on"]),
    ("ix_pib_billings_paid", "pib_billings", ["paid_on", "due_on"]),
    ("ix_ecd_billings_issued_at", "ecd_billings", ["issued_at"]),
    ("ix_ecd_payments_paid_at", "ecd_payments", ["paid_at"]),
    ("ix_plp_tps_containers_left", "plp_tps_containers", ["left_at", "first_stored_at"]),
    ("ix_plp_lines_state", "plp_lines", ["state"]),
    ("ix_plp_lines_out_at", "plp_lines", ["out_at"]),
    ("ix_plp_lines_in_at", "plp_lines", ["in_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
