"""Formatting shared by every renderer: Indonesian dates, rupiah, NIP grouping. Codes and numbers are never
translated; month names are Indonesian because the documents are (English goes beside, not instead)."""

from __future__ import annotations

import datetime as dt

from workstation.domain.money import rupiah_text

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def date_id(day: dt.date) -> str:
    """21 November 2026"""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


# The one rupiah formatter (workstation/domain/money.py), re-exported under the name the renderers use.
rupiah = rupiah_text


def nip(value: str) -> str:
    """NIP printed grouped 8-6-1-3: 19800501 200501 1 001."""
    digits = value.replace(" ", "")
    if len(digits) != 18 or not digits.isdigit():
        return value
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def copy_mark(copy_number: int) -> str:
    """Marking of a reprint: the first print is the original (copy 0)."""
    return f"SALINAN / COPY ke-{copy_number}"


VOID_MARK = "BATAL / VOID"
