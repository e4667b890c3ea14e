"""The passenger counter's demo data: today's flights with 30 e-CDs across the green and red lanes, a few
already worked at the counter. Seeded through the service's own use cases (`services.ecd`), never by writing
rows directly."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from workstation.demo import DEMO_PASSWORD
from workstation.domain.ecd import GREEN, RED, ecd_from_obj

if TYPE_CHECKING:
    from workstation.services import Services

Json = dict[str, Any]

DEMO_FLIGHTS = (("GA881", "GA", "NRT"), ("SQ956", "SQ", "SIN"), ("QR956", "QR", "DOH"), ("GA985", "GA", "JED"))
DEMO_NAMES = (
    ("Budi Santoso", "IDN"), ("Siti Aminah", "IDN"), ("Kenji Watanabe", "JPN"), ("Wong Mei Ling", "SGP"),
    ("Dewi Anggraini", "IDN"), ("Ahmad Fauzi", "IDN"), ("Maria Schneider", "DEU"), ("Rizky Pratama", "IDN"),
    ("Nurul Hidayah", "IDN"), ("Tan Wei Jie", "SGP"), ("Yuki Tanaka", "JPN"), ("Hendra Gunawan", "IDN"),
    ("Putu Ayu Lestari", "IDN"), ("Omar Al-Farsi", "QAT"), ("Linda Kusuma", "IDN"),
)


def _demo_goods(i: int) -> tuple[list[Json], Json, list[Json], Json, list[Json]]:
    """(goods, excise, cash, carrying, family) for demo passenger i: mostly green, a red one of each kind."""
    none = {"animals_fish_plants": False, "narcotics_psychotropics": False,
            "weapons_ammunition_explosives": False, "pornography": False}
    excise = {"cigarettes": 0, "cigars": 0, "sliced_tobacco_g": 0, "alcohol_l": "0"}
    small = [{"description": "Oleh-oleh / souvenirs", "hs_code": "950300", "quantity": 3, "unit": "PCE",
              "value": str(40 + 17 * (i % 9)) + ".00", "currency": "USD", "personal_use": True}]
    kind = i % 10
    if kind == 1:  # laptop above the allowance
        return ([{"description": "Laptop", "hs_code": "847130", "quantity": 1, "unit": "PCE", "value": "1450.00",
                  "currency": "USD", "personal_use": True}], excise, [], none, [])
    if kind == 3:  # cigarettes above the allowance
        return small, {**excise, "cigarettes": 400, "alcohol_l": "1"}, [], none, []
    if kind == 5:  # cash
        return small, excise, [{"currency": "USD", "amount": "9000", "bearer_instrument": False}], none, []
    if kind == 7:  # plants
        return ([{"description": "Bibit anggrek / orchid seedlings", "hs_code": "060290", "quantity": 10,
                  "unit": "PCE", "value": "60.00", "currency": "USD", "personal_use": True}], excise, [],
                {**none, "animals_fish_plants": True}, [])
    if kind == 9:  # jastip: bags for resale
        return ([{"description": "Tas titipan / bags for resale", "hs_code": "420221", "quantity": 6, "unit": "PCE",
                  "value": "2100.00", "currency": "USD", "personal_use": False}], excise, [], none, [])
    if kind == 4:  # a family: pooled allowance keeps them green
        return ([{"description": "Kamera / camera", "hs_code": "852589", "quantity": 1, "unit": "PCE",
                  "value": "880.00", "currency": "USD", "personal_use": True}], excise, [], none,
                [{"name": "Anak / child", "passport": f"C90{i:05d}", "birth_date": "2016-04-02"}])
    return small, excise, [], none, []


def demo_documents(today: dt.date, n: int = 30) -> list[Json]:
    """`n` ecd/1 documents (as JSON objects) for passengers arriving `today` on the demo flights."""
    docs_out = []
    submitted = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(20, 0), dt.timezone(dt.timedelta(hours=7)))
    for i in range(n):
        flight, carrier, origin = DEMO_FLIGHTS[i % len(DEMO_FLIGHTS)]
        name, nationality = DEMO_NAMES[i % len(DEMO_NAMES)]
        goods, excise, cash, carrying, family = _demo_goods(i)
        docs_out.append({
            "format": "ecd/1", "ecd_id": f"ECD-{today:%Y%m%d}-{i + 1:06d}",
            "submitted_at": (submitted + dt.timedelta(minutes=7 * i)).isoformat(),
            "arrival": {"date": today.isoformat(), "port": "CGK", "carrier": carrier, "flight": flight,
                        "from_port": origin},
            "declarant": {"name": name, "passport": f"{'CBX'[i % 3]}{4100000 + 37 * i}", "nationality": nationality,
                          "birth_date": f"{1958 + (i * 7) % 45}-{1 + i % 12:02d}-{1 + (i * 5) % 28:02d}",
                          "traveller_type": "hajj_regular" if flight == "GA985" and i % 3 == 0 else "passenger",
                          "npwp": None},
            "family_members": family, "goods": goods, "excise": excise,
            "cash": cash or [{"currency": "IDR", "amount": "500000", "bearer_instrument": False}],
            "carrying": carrying,
        })
    return docs_out


def seed_demo(services: Services) -> None:
    """Today's flights with 30 e-CDs across green and red lanes; a few already worked at the counter (one
    released, one diverted, one laptop found dearer and billed), all through the counter's own use cases."""
    ecd = services.ecd
    officer = services.auth.login("siti", DEMO_PASSWORD, client="demo set-up")
    try:
        documents = [ecd_from_obj(d) for d in demo_documents(services.ctx.today())]
        views = [r.view for r in ecd.import_documents(officer, documents, source="import")]
        greens = [v for v in views if v.state == GREEN]
        reds = [v for v in views if v.state == RED and "VALUE_OVER_ALLOWANCE" in v.case.reasons]
        ecd.release(officer, greens[0].case.id, greens[0].version)
        ecd.divert(officer, greens[1].case.id, greens[1].version, "gelagat mencurigakan, koper berat")
        laptop = reds[0]
        laptop = ecd.record_finding(officer, laptop.case.id, laptop.version, item_no=1, status="FOUND",
                                    value="1600.00", hs_code="8471300000", note="harga menurut invoice")
        ecd.reassess(officer, laptop.case.id, laptop.version)
    finally:
        services.auth.logout(officer, "demo set-up done")
