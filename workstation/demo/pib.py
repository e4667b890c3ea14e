"""PIB demo data for `workstation demo`: the sample tariff and lartas tables, a BC 1.1 manifest, a blocked
importer and eight PIBs in different states (rejected, billed, registered, two in the hangar for budi, one in
research for dewi, an SPTNP awaiting payment, one released) — the oldest registered 35 days ago, so the SLA
breach and BTD flags show. Everything goes through the PIB service's own use cases, as the officers' work would;
only the clock is set back while the older PIBs are received."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select

from db.models import User
from workstation.domain.codes import Role
from workstation.domain.identifiers import iso6346_check_digit
from workstation.domain.pib import PibState as S
from workstation.services.base import Actor, cli_actor
from workstation.services.pib import BapInput, LhpInput, PibService

if TYPE_CHECKING:
    from workstation.services import Services

_DEMO_IMPORTERS = [
    ("01.234.567.8-901.000", "PT Sinar Data Nusantara"),
    ("02.345.678.9-012.000", "PT Dapur Sejahtera Abadi"),
    ("03.456.789.0-123.000", "CV Mitra Elektronika"),
    ("09.876.543.2-109.000", "PT Niaga Bermasalah"),  # blocked by the supervisor in the demo
]
_DEMO_ITEMS = [
    ("8471300000", "Laptop computers, 14 inch", "40", "PCE", "18000.00", "0"),
    ("8516600000", "Rice cookers, 1.8 l", "600", "PCE", "6000.00", "7.5"),
    ("8528520000", "LCD monitors, 24 inch", "120", "PCE", "9600.00", "0"),
    ("8517130000", "Smartphones", "200", "PCE", "30000.00", "0"),
    ("8450111000", "Washing machines, 6 kg", "80", "PCE", "12000.00", "10"),
]


def _demo_container(n: int) -> str:
    head = f"DJBU{700000 + n:06d}"
    return head + str(iso6346_check_digit(head))


def _demo_actor(services: Services, login: str) -> Actor:
    with services.ctx.db.read() as s:
        user = s.scalar(select(User).where(User.login == login))
        assert user is not None, f"demo user {login} is created first (workstation.demo.build_demo)"
        return Actor(user.id, user.login, user.full_name, frozenset(Role(r) for r in user.role_codes), None,
                     user.office_code, services.settings.unit_code, user.nip)


def seed_demo(services: Services) -> None:
    """A few PIBs in different states for `workstation demo`: rejected, billed, registered, in the hangar
    (budi), in research (for dewi), an SPTNP awaiting payment, one released, and one registered 35 days ago
    that shows the SLA breach and BTD flags. Uses the demo users admin/dewi/budi/agus, looked up by login."""
    pib: PibService = services.pib
    system = cli_actor(services.settings)
    dewi, budi, agus = (_demo_actor(services, login) for login in ("dewi", "budi", "agus"))
    pib.import_sample_tables(system)
    office = services.settings.office.code
    real_clock = services.ctx.clock
    today = services.ctx.today()
    rates = services.reference.rate_table()

    plans = [  # (days ago submitted, importer, items, target state, aju serial)
        (35, 0, [0, 2], S.INSPECTION, 1),
        (6, 1, [1], S.RESEARCH, 2),
        (4, 2, [2, 4], S.SPTNP, 3),
        (3, 0, [0], S.RELEASED, 4),
        (2, 2, [3], S.SPJM, 5),
        (1, 1, [4], S.BILLED, 6),
        (0, 3, [0], S.REJECTED, 7),
        (0, 1, [1, 2], S.INSPECTION, 8),
    ]
    manifest = ["bc11_number,bc11_date,pos,subpos,bl_number,bl_date,consignee,packages,package_unit,containers"]
    docs_: list[tuple[int, dt.date, str, str]] = []
    for ago, imp, items, _state, serial in plans:
        day = today - dt.timedelta(days=ago)
        arrival = day - dt.timedelta(days=2)
        npwp, name = _DEMO_IMPORTERS[imp]
        containers = " ".join(_demo_container(serial * 10 + k) for k in range(len(items)))
        bl = f"MAEU26{serial:07d}"
        manifest.append(f"{300 + serial:06d},{arrival.isoformat()},{serial:04d},00000000,{bl},"
                        f"{(arrival - dt.timedelta(days=8)).isoformat()},{name},{40 * len(items)},CT,{containers}")
        doc = {
            "format": "pib/1", "aju": f"{office[:4]}20000000{day.strftime('%Y%m%d')}{serial:06d}", "office": office,
            "importer": {"npwp": npwp, "name": name, "api": True},
            "bc11": {"number": f"{300 + serial:06d}", "date": arrival.isoformat(), "pos": f"{serial:04d}",
                     "subpos": "00000000"},
            "bl": {"number": bl, "date": (arrival - dt.timedelta(days=8)).isoformat()},
            "arrival_date": arrival.isoformat(), "currency": "USD",
            "ndpbm": format(rates.rate("USD", day).normalize(), "f"),
            "items": [{"seq": n + 1, "hs_code": _DEMO_ITEMS[i][0], "description": _DEMO_ITEMS[i][1],
                       "quantity": _DEMO_ITEMS[i][2], "unit": _DEMO_ITEMS[i][3], "cif": _DEMO_ITEMS[i][4],
                       "bm_rate": _DEMO_ITEMS[i][5], "ppn_rate": "11", "ppnbm_rate": "0", "pph_rate": "2.5",
                       "excise_idr": 0, "lartas_required": _DEMO_ITEMS[i][0] == "8517130000",
                       "lartas_permit": None} for n, i in enumerate(items)],
        }
        docs_.append((serial, day, json.dumps(doc), containers))
    pib.import_manifest(system, text="\n".join(manifest) + "\n", source="demo-bc11.csv")
    pib.block_importer(agus, _DEMO_IMPORTERS[3][0], _DEMO_IMPORTERS[3][1], "demo: unpaid SPTNP from 2025")

    lhp_base = {"photos": ["IMG-0001.jpg"], "notes": "", "undeclared": []}
    bap = BapInput.model_validate({
        "place": "TPS KOJA", "inspected_on": today.isoformat(),
        "representative": {"name": "Rina Kartika", "capacity": "PPJK", "id_number": "PPJK-0451"},
        "findings": "Containers opened in the presence of the PPJK; goods counted at the instructed level.",
        "representative_signed": True, "inspector_signed": True})
    registered: dict[int, uuid.UUID] = {}
    try:
        # First each PIB is received (and paid) "on" its own date, oldest first, so that the SLA and storage
        # clocks show; the oldest is also sent to the hangar then. The rest happens today.
        for (ago, _imp, _items, state, serial), (_, day, text, containers) in zip(plans, docs_, strict=True):
            services.ctx.clock = partial(dt.datetime.combine, day, dt.time(2, 0), tzinfo=dt.UTC)
            r = pib.import_pib(dewi, text=text, source=f"demo-{serial}.json")
            if state in (S.REJECTED, S.BILLED) or not r.accepted:
                continue
            assert r.billing_code is not None and r.billing_total_idr is not None  # the demo's PIBs owe duty
            pib.pay_billing(dewi, r.case_id, r.version, billing_code=r.billing_code, ntpn=f"DEMO{serial:012d}",
                            amount_idr=r.billing_total_idr)
            registered[serial] = r.case_id
            if ago >= 30:
                _demo_to_hangar(pib, dewi, r.case_id, day, containers, serial)
    finally:
        services.ctx.clock = real_clock
    for (ago, _imp, _items, state, serial), (_, day, _text, containers) in zip(plans, docs_, strict=True):
        cid = registered.get(serial)
        if cid is None or state == S.SPJM or ago >= 30:
            continue
        v = _demo_to_hangar(pib, dewi, cid, day, containers, serial)
        if state == S.INSPECTION:
            continue
        v = pib.record_bap(budi, cid, v, bap).version
        detail = pib.get(budi, cid)
        lhp = LhpInput.model_validate({**lhp_base, "containers": [
            {"number": c, "size": "40", "type": "HC", "seal_number": f"SL-{serial}{n}", "seal_condition": "intact"}
            for n, c in enumerate(containers.split())], "items": [
            {"seq": i.seq, "packages_examined": "4 CT", "description": i.description, "brand_type": "-",
             "specification": "-", "quantity": format(i.quantity, "f"), "unit": i.unit, "origin": "CN",
             "hs_code": i.hs_code, "match": not (serial == 2 and i.seq == 1)} for i in detail.doc.items]})
        v = pib.submit_lhp(budi, cid, v, lhp).version
        if state == S.RESEARCH:
            continue
        rows = [{"seq": 1, "cif": "13000.00"}] if state == S.SPTNP else []
        result = pib.determine(dewi, cid, v, pib.determination_from_form(rows))
        if state == S.RELEASED:
            pib.release(agus, cid, result.case.version, note="gate out TPS KOJA")


def _demo_to_hangar(pib: PibService, dewi: Actor, cid: uuid.UUID, day: dt.date, containers: str, serial: int) -> int:
    v = pib.get(dewi, cid).version
    v = pib.record_goods_ready(dewi, cid, v, location="TPS KOJA", ready_on=day.isoformat(),
                               contact="Rina Kartika 0812-1111-2222").version
    levels = pib.inspection_levels()  # the rule set's: odd serials at the lowest level, even at the highest
    return pib.issue_instruction(dewi, cid, v, inspector_login="budi", level_pct=levels[0] if serial % 2 else levels[-1],
                                 containers=containers.split(), packages="as instructed",
                                 memo="check brand and specification").version
