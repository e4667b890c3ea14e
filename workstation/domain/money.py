"""Rupiah as the screens and the printed documents show it: one formatter for the whole app.

Rupiah are whole numbers (int) once rounded by the rule set; this module never rounds and refuses floats and
Decimals so a fractional amount cannot slip onto a document."""

from __future__ import annotations


def rupiah_text(amount: int) -> str:
    """`Rp1.448.000`: Indonesian grouping with dots, no space, no decimals; negative as `-Rp1.000`.

    `amount` is whole rupiah (int). Raises TypeError for anything else (float, Decimal, bool, None)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are int, not {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def rupiah_or(amount: int | None, missing: str = "-") -> str:
    """`rupiah_text(amount)`, or `missing` (default `-`) when there is no amount yet (e.g. not billed)."""
    return missing if amount is None else rupiah_text(amount)
