"""Codes of DOMAIN.md, spelled exactly as used in UI, JSON and reports. Never translated."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    INSPECTOR = "inspector"
    EXAMINER = "examiner"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Lane(StrEnum):
    GREEN = "green"
    RED = "red"


class LaneReason(StrEnum):
    """Red-lane triggers. An open list: risk profiles and random selection add to it."""

    VALUE_OVER_ALLOWANCE = "VALUE_OVER_ALLOWANCE"
    EXCISE_OVER_ALLOWANCE = "EXCISE_OVER_ALLOWANCE"
    QUARANTINE_GOODS = "QUARANTINE_GOODS"
    PROHIBITED_GOODS = "PROHIBITED_GOODS"
    CASH_OVER_THRESHOLD = "CASH_OVER_THRESHOLD"
    NON_PERSONAL_GOODS = "NON_PERSONAL_GOODS"
    RISK_PROFILE = "RISK_PROFILE"
    RANDOM_SELECTION = "RANDOM_SELECTION"
    OFFICER_DIVERSION = "OFFICER_DIVERSION"


class Referral(StrEnum):
    QUARANTINE = "QUARANTINE"
    ENFORCEMENT = "ENFORCEMENT"
    CASH_DECLARATION = "CASH_DECLARATION"
    PIBK = "PIBK"
    EXCISE_DESTRUCTION = "EXCISE_DESTRUCTION"


class CaseKind(StrEnum):
    ECD = "ECD"
    PIB = "PIB"
    PLP = "PLP"


class DocumentStatus(StrEnum):
    ISSUED = "ISSUED"
    VOID = "VOID"


# The refusal / input-error catalogue lives beside this file; re-exported so "the codes" are one import.
from workstation.domain.errors import ErrorCode  # noqa: E402

__all__ = ["CaseKind", "DocumentStatus", "ErrorCode", "Lane", "LaneReason", "Referral", "Role"]
