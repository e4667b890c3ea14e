"""The one rupiah formatter (workstation/domain/money.py), used by the screens and every printed document."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printing import fmt
from workstation.domain.money import rupiah_or, rupiah_text


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "Rp0"), (999, "Rp999"), (1000, "Rp1.000"), (1_448_000, "Rp1.448.000"), (-25_000, "-Rp25.000"),
     (100_000_000_000, "Rp100.000.000.000")],
)
def test_grouping_with_dots(amount, text):
    assert rupiah_text(amount) == text


@pytest.mark.parametrize("bad", [1.5, Decimal("1000"), True, None, "1000"])
def test_only_whole_rupiah(bad):
    with pytest.raises(TypeError):
        rupiah_text(bad)


def test_missing_amount_shows_a_dash():
    assert rupiah_or(None) == "-"
    assert rupiah_or(None, "Rp0") == "Rp0"
    assert rupiah_or(5000) == "Rp5.000"


def test_documents_use_the_same_formatter():
    assert fmt.rupiah is rupiah_text


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_round_trip(amount):
    text = rupiah_text(amount)
    assert int(text.replace("Rp", "").replace(".", "")) == amount
    groups = text.lstrip("-").removeprefix("Rp").split(".")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
