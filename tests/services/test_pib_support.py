"""Shared set-up for the PIB workflow tests (imported by tests/services/test_pib_*.py and tests/e2e/test_pib_*.py):
reference data loaded, fixture documents, and helpers that walk a PIB to a given state through the service.
The two tests at the bottom check the set-up itself."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from workstation.domain.codes import Role
from workstation.rules.pib_checks import BapInput, LhpInput, SamplingInput

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pib"
NTPN = "0A1B2C3D4E5F6G7H"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_doc(name: str = "intake_ok.json") -> dict[str, Any]:
    return json.loads(fixture_text(name))


def variant(aju_tail: str, name: str = "intake_ok.json", **changes: Any) -> str:
    """A fixture document with another aju (last digits) and top-level or item changes
    (`items={0: {...}}` updates items by index)."""
    doc = fixture_doc(name)
    doc["aju"] = doc["aju"][: -len(aju_tail)] + aju_tail
    items = changes.pop("items", {})
    for idx, upd in items.items():
        doc["items"][idx].update(upd)
    doc.update(changes)
    return json.dumps(doc)


def bap_form(**kw) -> BapInput:
    data = {"place": "TPS KOJA, Tanjung Priok", "inspected_on": "2026-11-21",
            "representative": {"name": "Rina Kartika", "capacity": "PPJK", "id_number": "PPJK-0451"},
            "findings": "Two containers opened; goods counted at the stated level.",
            "representative_signed": True, "inspector_signed": True}
    data.update(kw)
    return BapInput.model_validate(data)


def sampling_form(seq: int = 2, **kw) -> SamplingInput:
    data = {"place": "TPS KOJA", "taken_on": "2026-11-21",
            "representative": {"name": "Rina Kartika", "capacity": "PPJK", "id_number": "PPJK-0451"},
            "samples": [{"seq": seq, "description": "one rice cooker", "quantity": "1", "unit": "PCE",
                         "seal": "BC-S-0001"}],
            "purpose": "laboratory test of the goods' composition",
            "representative_signed": True, "inspector_signed": True}
    data.update(kw)
    return SamplingInput.model_validate(data)


def lhp_form(*, match: bool = True, undeclared: bool = False, **kw) -> LhpInput:
    data = {
        "containers": [
            {"number": "CSQU3054383", "size": "40", "type": "GP", "seal_number": "SL-7781230",
             "seal_condition": "intact"},
            {"number": "MSKU9070323", "size": "20", "type": "GP", "seal_number": "SL-7781231",
             "seal_condition": "intact"},
        ],
        "items": [
            {"seq": 1, "packages_examined": "2 CT of 10", "description": "Laptop computer 14 inch",
             "brand_type": "ACME / Swift X14", "specification": "Core i7, 16 GB", "quantity": "10", "unit": "PCE",
             "origin": "CN", "hs_code": "8471300000", "match": match},
            {"seq": 2, "packages_examined": "12 CT of 120", "description": "Rice cooker 1.8 l",
             "brand_type": "Miyako / MCM-18", "specification": "400 W", "quantity": "120", "unit": "PCE",
             "origin": "ID", "hs_code": "8516600000", "match": True},
        ],
        "undeclared": [{"description": "Spare rice-cooker lids", "quantity": "20", "unit": "PCE"}] if undeclared else [],
        "photos": ["IMG-0001.jpg", "IMG-0002.jpg"],
        "notes": "",
    }
    data.update(kw)
    return LhpInput.model_validate(data)


@dataclass
class Env:
    services: Any
    users: dict
    clock: Any

    @property
    def pib(self):
        return self.services.pib

    @property
    def admin(self):
        return self.users[Role.ADMIN]

    @property
    def examiner(self):
        return self.users[Role.EXAMINER]

    @property
    def inspector(self):
        return self.users[Role.INSPECTOR]

    @property
    def supervisor(self):
        return self.users[Role.SUPERVISOR]

    @property
    def officer(self):
        return self.users[Role.OFFICER]

    def detail(self, case_id):
        return self.pib.get(self.supervisor, case_id)

    # -- walking a PIB forward ------------------------------------------------------------------------------
    def intake(self, text: str | None = None):
        return self.pib.import_pib(self.examiner, text=text or fixture_text("intake_ok.json"), source="test")

    def registered(self, text: str | None = None):
        r = self.intake(text)
        assert r.accepted, r.problems
        self.pib.pay_billing(self.examiner, r.case_id, r.version, billing_code=r.billing_code, ntpn=NTPN,
                             amount_idr=r.billing_total_idr)
        return r.case_id

    def ready(self, text: str | None = None):
        cid = self.registered(text)
        d = self.detail(cid)
        self.pib.record_supporting_documents(self.examiner, cid, d.version, [
            {"kind": "INVOICE", "number": "INV-2026-0091", "date": "2026-11-05"},
            {"kind": "PACKING_LIST", "number": "PL-2026-0091", "date": "2026-11-05"}])
        d = self.detail(cid)
        self.pib.record_goods_ready(self.examiner, cid, d.version, location="TPS KOJA", ready_on="2026-11-21",
                                    contact="Rina Kartika 0812-1111-2222")
        return cid

    def in_inspection(self, text: str | None = None, *, level: int = 10, samples: bool = False):
        cid = self.ready(text)
        d = self.detail(cid)
        self.pib.issue_instruction(self.examiner, cid, d.version, inspector_login=self.inspector.login,
                                   level_pct=level, containers=["CSQU3054383", "MSKU9070323"],
                                   packages="2 of 10 CT laptops, 12 of 120 CT rice cookers", memo="check brands",
                                   sample_requested=samples)
        return cid

    def in_research(self, text: str | None = None, *, lhp: LhpInput | None = None, samples: bool = False):
        cid = self.in_inspection(text, samples=samples)
        self.pib.record_bap(self.inspector, cid, self.detail(cid).version, bap_form())
        if samples:
            self.pib.record_sampling(self.inspector, cid, self.detail(cid).version, sampling_form())
        self.pib.submit_lhp(self.inspector, cid, self.detail(cid).version, lhp or lhp_form())
        return cid

    def determine(self, cid, rows=(), actor=None):
        items = self.pib.determination_from_form(rows)
        return self.pib.determine(actor or self.examiner, cid, self.detail(cid).version, items)

    # -- what is in the database -----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Row counts of every table a PIB change writes (to show that a refused change wrote nothing)."""
        from db.models import AuditEntry, Case, CaseEvent, Counter, Document
        from db.models_pib import (
            PibBilling,
            PibDetermination,
            PibInstruction,
            PibReport,
            PibRequest,
            PibSubmission,
            PibSupportingDoc,
        )

        out = {}
        with self.services.ctx.db.read() as s:
            for m in (AuditEntry, Case, CaseEvent, Document, PibBilling, PibDetermination, PibInstruction,
                      PibReport, PibRequest, PibSubmission, PibSupportingDoc):
                out[m.__tablename__] = s.scalar(select(func.count()).select_from(m))
            out["counter_total"] = s.scalar(select(func.coalesce(func.sum(Counter.last_value), 0)))
        return out


@pytest.fixture(name="env")
def env_fixture(services, users, clock) -> Env:
    services.issuance.ensure_office_key()
    admin = users[Role.ADMIN]
    services.reference.import_rates(admin, FIXTURES / "rates.csv")
    services.pib.import_sample_tables(admin)
    services.pib.import_manifest(admin, FIXTURES / "manifest.csv")
    return Env(services, users, clock)


def make_dual_role_user(env: Env, login: str = "rudi", roles=(Role.INSPECTOR, Role.EXAMINER)):
    from tests.conftest import PASSWORD

    env.services.auth.create_user(env.admin, login, "Rudi Hartono", list(roles), PASSWORD)
    return env.services.auth.login(login, PASSWORD)


def test_support_env_loads_reference_data(env):
    assert env.pib.tariff_post("8471300000").bm_rate == 0
    line = env.pib.manifest_line("001234", dt.date(2026, 11, 18), "0101", "00000000")
    assert line is not None and line.containers == ("CSQU3054383", "MSKU9070323")


def test_support_variant_changes_only_what_it_names():
    doc = json.loads(variant("999", ndpbm="1", items={1: {"cif": "2"}}))
    base = copy.deepcopy(fixture_doc())
    assert doc["aju"].endswith("999") and doc["aju"][:-3] == base["aju"][:-3]
    assert (doc["ndpbm"], doc["items"][1]["cif"], doc["items"][0]) == ("1", "2", base["items"][0])
