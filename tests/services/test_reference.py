from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from workstation.domain.codes import Role
from workstation.errors import InputError, PermissionDenied

CSV = """currency,rate_idr,valid_from,valid_to
USD,16000,2026-11-18,2026-11-24
JPY,10650.5,2026-11-18,2026-11-24
"""


def test_import_is_idempotent_and_rates_are_per_unit(services, users):
    admin = users[Role.ADMIN]
    assert services.reference.import_rates(admin, text=CSV) == (2, 0)
    assert services.reference.import_rates(admin, text=CSV) == (0, 2)
    table = services.reference.rate_table()
    assert table.rate("USD", dt.date(2026, 11, 20)) == Decimal("16000")
    assert table.rate("JPY", dt.date(2026, 11, 20)) == Decimal("106.505")  # quoted per 100 yen


def test_contradicting_or_overlapping_rows_write_nothing(services, users):
    admin = users[Role.ADMIN]
    services.reference.import_rates(admin, text=CSV)
    changed = CSV.replace("USD,16000", "USD,16100") + "EUR,17000,2026-11-18,2026-11-24\n"
    with pytest.raises(InputError, match="refusing to change") as refused:
        services.reference.import_rates(admin, text=changed)
    assert refused.value.code == "INVALID_VALUE"
    overlap = "currency,rate_idr,valid_from,valid_to\nEUR,17000,2026-11-18,2026-11-24\nUSD,16100,2026-11-20,2026-11-26\n"
    with pytest.raises(InputError):
        services.reference.import_rates(admin, text=overlap)
    assert not services.reference.rate_table().has_rate("EUR", dt.date(2026, 11, 20))


def test_bad_file_names_the_line_and_officer_may_not_import(services, users):
    with pytest.raises(InputError) as e:
        services.reference.import_rates(users[Role.ADMIN], text="currency,rate_idr,valid_from,valid_to\nUSD,1.5.0,x,y\n")
    assert "2" in str(e.value)  # the line
    assert e.value.code == "NOT_A_NUMBER"  # 1.5.0 is no rate
    with pytest.raises(PermissionDenied):
        services.reference.import_rates(users[Role.OFFICER], text=CSV)
