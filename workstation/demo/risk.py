"""Risk management demo data (issue #16): targeting profiles, a random-selection rate, and eight weeks of past
e-CDs with their risk selections and inspection outcomes, so the supervisor's hit-rate screen shows real
figures. Everything goes through the services' own use cases; only where the e-CD intake does not yet record
risk selections itself (before the intake hook is wired) does the seed record them and mark the case red the
way the hook will."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from workstation.demo import DEMO_PASSWORD
from workstation.demo.ecd import DEMO_FLIGHTS, DEMO_NAMES, _demo_goods
from workstation.domain.ecd import ecd_from_obj

if TYPE_CHECKING:
    from workstation.services import Services

PROFILES: dict[str, Any] = {"format": "risk/1", "profiles": [
    {"code": "NRT-ELEC", "workflow": "ecd", "name": "Elektronik dari Tokyo / electronics from Tokyo",
     "reason": "laptop dan kamera dinilai rendah (buletin intelijen 07/2026)", "valid_from": "2026-01-01",
     "conditions": {"origin_port": ["NRT"], "hs_chapters": ["84", "85"]}},
    {"code": "SIN-JASTIP", "workflow": "ecd", "name": "Jastip dari Singapura / resale goods from Singapore",
     "reason": "barang titipan bernilai tinggi", "valid_from": "2026-01-01",
     "conditions": {"origin_port": ["SIN"], "declared_value_min_usd": "1000"}},
    {"code": "FREQ-TRAVELLER", "workflow": "ecd", "name": "Pelintas sering / frequent traveller",
     "reason": "tiga kedatangan atau lebih dalam 60 hari", "valid_from": "2026-01-01",
     "conditions": {"trips_min": 3, "trips_days": 60}},
    {"code": "DOH-FLIGHT", "workflow": "ecd", "name": "Penerbangan QR956 / flight QR956",
     "reason": "uji coba profil penerbangan", "valid_from": "2026-01-01", "conditions": {"flight": ["QR956"]}},
    {"code": "IMP-COOKERS", "workflow": "pib", "name": "Penanak nasi / rice cookers",
     "reason": "harga penanak nasi di bawah pembanding", "valid_from": "2026-01-01",
     "conditions": {"hs": ["8516"]}},
], "random": [{"workflow": "ecd", "port": "CGK", "rate": "0.15"}, {"workflow": "pib", "port": "*", "rate": "0.05"}]}

# Chance (per mille) that an inspection finds something, by what selected the case.
HIT_PER_MILLE = {"NRT-ELEC": 450, "SIN-JASTIP": 600, "FREQ-TRAVELLER": 300, "DOH-FLIGHT": 60, "random": 40,
                 "rule": 200}
FINDINGS = ("UNDECLARED", "MISDECLARED_VALUE", "MISDECLARED_HS", "EXCISE_OVER")
WEEKS, PER_WEEK, PASSPORTS = 8, 10, 20


def _roll(key: str, salt: str) -> int:
    return int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:8], 16) % 1000


def history_documents(today: dt.date) -> list[dict[str, Any]]:
    """PER_WEEK e-CDs a week for WEEKS weeks before `today`, from a pool of PASSPORTS travellers."""
    out = []
    for n in range(WEEKS * PER_WEEK):
        day = today - dt.timedelta(days=7 * WEEKS - (n * 7 * WEEKS) // (WEEKS * PER_WEEK))
        flight, carrier, origin = DEMO_FLIGHTS[n % len(DEMO_FLIGHTS)]
        who = (n * 7) % PASSPORTS
        name, nationality = DEMO_NAMES[who % len(DEMO_NAMES)]
        goods, excise, cash, carrying, family = _demo_goods(n)
        if n % 8 == 0:  # GA881 from Tokyo
            goods = [{"description": "Laptop", "hs_code": "847130", "quantity": 1, "unit": "PCE",
                      "value": f"{1100 + 37 * (n % 9)}.00", "currency": "USD", "personal_use": True}]
        elif n % 8 == 5:  # SQ956 from Singapore
            goods = [{"description": "Tas bermerek / designer bags", "hs_code": "420221", "quantity": 2,
                      "unit": "PCE", "value": f"{1300 + 53 * (n % 7)}.00", "currency": "USD", "personal_use": True}]
        submitted = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(21, 0),
                                        dt.timezone(dt.timedelta(hours=7)))
        out.append({
            "format": "ecd/1", "ecd_id": f"ECD-{day:%Y%m%d}-9{n:05d}", "submitted_at": submitted.isoformat(),
            "arrival": {"date": day.isoformat(), "port": "CGK", "carrier": carrier, "flight": flight,
                        "from_port": origin},
            "declarant": {"name": name, "passport": f"H{5200000 + who}", "nationality": nationality,
                          "birth_date": f"{1960 + who}-0{1 + who % 9}-1{who % 9}", "traveller_type": "passenger",
                          "npwp": None},
            "family_members": family, "goods": goods, "excise": excise,
            "cash": cash or [{"currency": "IDR", "amount": "500000", "bearer_instrument": False}],
            "carrying": carrying,
        })
    return out


def seed_demo(services: Services) -> None:
    """Profiles and rates (by the supervisor), past e-CDs (by the officer) with their selections, and the
    outcomes of their red-lane inspections."""
    from sqlalchemy import select

    from db.models import Case
    from workstation.services.risk import risk_service
    from workstation.services.risk.queries import selection_of
    from workstation.services.risk.selection import record_selection, select_for_ecd

    risk = risk_service(services)
    auth = services.auth
    agus = auth.login("agus", DEMO_PASSWORD, client="demo set-up")
    siti = auth.login("siti", DEMO_PASSWORD, client="demo set-up")
    try:
        risk.import_profiles(agus, json.dumps(PROFILES), source="demo")
        docs = [ecd_from_obj(d) for d in history_documents(services.ctx.today())]
        results = services.ecd.import_documents(siti, docs, source="import")
        red_cases: list[tuple[Any, str, str]] = []
        with services.ctx.db.write() as s:  # one transaction for the whole history
            for doc, result in zip(docs, results, strict=True):
                case_id = result.view.case.id
                row = selection_of(s, case_id)
                if row is None:  # the intake hook is not wired yet: record as it will
                    goods_usd = result.view.decision.record.get("assessment", {}).get("goods_usd")
                    sel = select_for_ecd(s, doc, doc.arrival.date,
                                         goods_usd=Decimal(goods_usd) if goods_usd else None)
                    record_selection(s, case_id, sel, services.ctx.now())
                    case = s.get(Case, case_id)
                    if sel.red and case is not None:
                        case.reasons = sorted({*case.reasons, *sel.shown_reasons})
                        case.lane, case.state = "red", "RED"
                    s.flush()
                    row = selection_of(s, case_id)
                lane = s.scalar(select(Case.lane).where(Case.id == case_id))
                if lane != "red" or row is None:
                    continue
                chances = [HIT_PER_MILLE.get(p["code"], 200) for p in row.profiles]
                if row.random:
                    chances.append(HIT_PER_MILLE["random"])
                chance = max(chances) if chances else HIT_PER_MILLE["rule"]
                red_cases.append((case_id, doc.ecd_id, "hit" if _roll(doc.ecd_id, "hit") < chance else "miss"))
        for case_id, ecd_id, verdict in red_cases:
            if _roll(ecd_id, "inspected") < 60:  # a few still waiting for inspection
                continue
            if verdict == "hit":
                finding = FINDINGS[_roll(ecd_id, "kind") % len(FINDINGS)]
                duties = 250_000 + 25_000 * (_roll(ecd_id, "duties") % 70)
                risk.record_outcome(siti, case_id, [finding], duties_idr=duties, note="demo")
            else:
                risk.record_outcome(siti, case_id, ["NOTHING"], duties_idr=0, note="demo")
    finally:
        auth.logout(siti, "demo set-up done")
        auth.logout(agus, "demo set-up done")
