"""PLP demo data: the TPS registry of Tanjung Priok (IDTPP), a few containers stored at KOJA, and requests in
every state, entered through the PLP service's own use cases as siti (officer) and agus (supervisor) would."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

SAMPLE_TPS = "plp_tps_sample.csv"


def sample_tps_csv() -> str:
    """The TPS registry of Tanjung Priok (IDTPP) used by the demo (workstation/data/plp_tps_sample.csv)."""
    from importlib.resources import files

    return files("workstation").joinpath("data", SAMPLE_TPS).read_text(encoding="utf-8")


def demo_request(origin: str, destination: str, reason: str, containers: list[tuple[str, str]], *,
                 yor: str = "71.5", applicant: str = "origin", bc11: str = "001234",
                 packages: list[tuple[str, int, str]] | None = None, declared: bool = False,
                 office: str = "040300") -> str:
    """A plp/1 request as JSON text: containers as (number, size), packages as (B/L or AWB, quantity, kind);
    `yor` is the origin's stated occupancy in %, the destination states 40 %; BC 1.1 of 2026-11-18."""
    return json.dumps({
        "format": "plp/1", "office": office, "applicant": applicant, "reason": reason,
        "origin": {"tps": origin, "yor_pct": yor}, "destination": {"tps": destination, "yor_pct": "40"},
        "port": "IDTPP", "bc11": {"number": bc11, "date": "2026-11-18"}, "import_declared": declared,
        "containers": [{"number": n, "size": sz} for n, sz in containers],
        "packages": [{"bl_awb": b, "quantity": q, "kind": k} for b, q, k in (packages or [])]})


def seed_demo(services: Any) -> None:
    """TPS registry of Tanjung Priok and requests in every state: submitted (one with packages), approved
    (the demo gate at KOJA lets its container out), moving, closed, refused at registration, cancelled.
    siti registers the requests and agus decides them: who registers a request may not decide it."""
    from workstation.demo import DEMO_PASSWORD

    plp = services.plp
    sup = services.auth.login("agus", DEMO_PASSWORD, client="demo set-up")
    officer = services.auth.login("siti", DEMO_PASSWORD, client="demo set-up")
    office = services.settings.office.code
    try:
        plp.import_tps(sup, sample_tps_csv(), source=SAMPLE_TPS)
        now = services.ctx.now()
        for i, number in enumerate(("CSQU3054383", "MSCU6639870", "TGHU8839415", "MSKU9070323")):
            plp.store_container(officer, "KOJA", number, "40", first_stored_at=now - dt.timedelta(days=4 + i))

        def req(*a: Any, **kw: Any) -> Any:
            return plp.import_request(officer, demo_request(*a, office=office, **kw), source="demo")

        # APPROVED, one line refused: the demo gate (TPS KOJA) opens for CSQU3054383
        a = req("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40"), ("MSCU6639870", "40")])
        plp.decide(sup, a.case.id, a.case.version, {1: (True, ""), 2: (False, "nomor BL tidak sesuai BC 1.1")})
        # CLOSED: out of KOJA and in at JICT
        b = req("KOJA", "JICT", "YOR_OVER_THRESHOLD", [("MSKU9070323", "40")], bc11="001240")
        b = plp.decide(sup, b.case.id, b.case.version, {1: (True, "")})
        b = plp.gate_out(officer, b.case.id, b.case.version, 1, truck_plate="B 9044 UIO", seals=["SL-7781230"])
        plp.gate_in(officer, b.case.id, b.case.version, 1, truck_plate="B 9044 UIO", seals=["SL-7781230"])
        # SUBMITTED: excisable goods to be ribboned at the destination, and an LCL request with packages
        req("KOJA", "GRAHA", "EXCISE_RIBBON_AT_DESTINATION", [("TGHU8839415", "40")], bc11="001236")
        req("MTI1", "GRAHA", "MASTER_AWB_FORWARDER", [], applicant="destination", bc11="001237",
            packages=[("MAEU123456789", 12, "PK"), ("HLCU987654321", 3, "PL")])
        # REJECTED at registration: the origin operator may not apply on rush handling
        req("JICT", "MTI1", "RUSH_HANDLING", [("CSQU3054383", "20")], bc11="001238")
        # CANCELLED after approval: the importer lodged the PIB in the meantime
        c = req("JICT", "GRAHA", "NO_SPECIAL_FACILITY", [], bc11="001239", packages=[("OOLU555000111", 40, "CT")])
        c = plp.decide(sup, c.case.id, c.case.version, {1: (True, "")})
        plp.cancel(sup, c.case.id, c.case.version, "importir telah mengajukan PIB")
    finally:
        services.auth.logout(sup, "demo set-up done")
        services.auth.logout(officer, "demo set-up done")
