"""Set-up for the risk service tests: the risk service, profile files, real e-CDs and PIBs stored through
their own services with the risk selection recorded the way the intake hook will record it."""

from __future__ import annotations

import json

from sqlalchemy import select

from db.models_passenger import EcdDeclaration
from tests.services.passenger_support import base_doc, green_doc, setup, text
from workstation.domain.codes import Role
from workstation.domain.ecd import parse_ecd
from workstation.services.risk import risk_service
from workstation.services.risk.selection import select_for_ecd

__all__ = ["base_doc", "green_doc", "profile_file", "setup", "store_ecd", "text"]


def profile_file(*profiles: dict, random: list | None = None) -> str:
    full = []
    for p in profiles:
        full.append({"workflow": "ecd", "name": f"profile {p['code']}", "reason": "test reason",
                     "valid_from": "2026-01-01", **p})
    return json.dumps({"format": "risk/1", "profiles": full, "random": random or []})


def store_ecd(services, users, doc: dict):
    """Store an e-CD through the counter's import, whose intake hook records the risk selection. Returns
    (case id, selection) — the selection as the hook computed it: the same function over the same store,
    evaluated just before the import."""
    parsed = parse_ecd(text(doc))
    with services.ctx.db.read() as s:
        sel = select_for_ecd(s, parsed, parsed.arrival.date, goods_usd=None)
    services.ecd.import_ecd(users[Role.OFFICER], text(doc))
    with services.ctx.db.read() as s:
        case_id = s.scalar(select(EcdDeclaration.case_id).where(EcdDeclaration.ecd_id == parsed.ecd_id))
    return case_id, sel


def risk(services):
    return risk_service(services)


def supervisor(users):
    return users[Role.SUPERVISOR]
