"""Helpers for the passenger e-CD tests: e-CD documents built from the contract example, rates, counts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sqlalchemy import func, select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ecd"
RATES = FIXTURES / "rates.csv"  # USD 16,000 for 2026-11-18..24 (the FakeClock's 2026-11-21)


def base_doc(ecd_id: str = "ECD-20261121-000123", **changes) -> dict:
    """The CONTRACTS.md example (laptop USD 1,200: red, VALUE_OVER_ALLOWANCE, Rp2,476,000 under PMK-34-2025)."""
    doc = json.loads((FIXTURES / "contract_laptop.json").read_text(encoding="utf-8"))
    doc["ecd_id"] = ecd_id
    for key, value in changes.items():
        doc[key] = copy.deepcopy(value)
    return doc


def green_doc(ecd_id: str = "ECD-20261121-000200", **changes) -> dict:
    doc = base_doc(ecd_id, **changes)
    if "goods" not in changes:
        doc["goods"] = [{"description": "Souvenir", "hs_code": "950300", "quantity": 2, "unit": "PCE",
                         "value": "120.00", "currency": "USD", "personal_use": True}]
    return doc


def text(doc: dict) -> str:
    return json.dumps(doc)


def setup(services, users) -> None:
    """Office key and NDPBM rates, as an office has them before the first passenger."""
    from workstation.domain.codes import Role

    services.issuance.ensure_office_key()
    services.reference.import_rates(users[Role.SUPERVISOR], RATES)


def count(services, model) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def counts(services) -> dict[str, int]:
    """Rows of every table a counter action may write (to prove that bad input writes nothing)."""
    from db.models import AuditEntry, Case, CaseEvent, Document
    from db.models_passenger import (
        EcdBilling,
        EcdDecisionRow,
        EcdDeclaration,
        EcdExciseCount,
        EcdFinding,
        EcdPayment,
        EcdReferral,
    )

    models = (AuditEntry, Case, CaseEvent, Document, EcdBilling, EcdDecisionRow, EcdDeclaration, EcdExciseCount,
              EcdFinding, EcdPayment, EcdReferral)
    return {m.__tablename__: count(services, m) for m in models}
