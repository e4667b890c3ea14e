"""PLP requests: the request screen's form turned into plp/1, the dry-run check (nothing written), every
refusal the office adds to the rule check, the "import already declared" hook and the registry's advice."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import Case, Document
from db.models_plp import PlpLine
from workstation.demo.plp import demo_request
from workstation.domain.codes import Role
from workstation.domain.identifiers import iso6346_check_digit
from workstation.domain.plp import parse_plp
from workstation.errors import InputError
from workstation.services.plp import PlpService, pib_declared_hook, request_from_form

FORM = dict(office="040300", applicant="origin", reason="yor_over_threshold", origin="koja", origin_yor="71,5",
            destination="MTI1", destination_yor="40", port="idtpp", bc11_number="001234", bc11_date="18-11-2026",
            import_declared=False, containers="CSQU3054383 40\nMSCU 663987 0 20", packages="")


def _count(services, model) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def plp(services, users):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, facilities=["LCL"],
                          occupancy_teu_entered=700)
    services.plp.save_tps(sup, "MTI1", "MTI 1", "PT MTI", "IDTPP", 1000, facilities=["LCL", "DG"],
                          occupancy_teu_entered=300)
    services.plp.save_tps(sup, "JICT", "JICT", "PT JICT", "IDTPP", 1000, occupancy_teu_entered=800)
    return services.plp


# -- the form ----------------------------------------------------------------------------------------------
def test_form_becomes_a_valid_plp1_request():
    req = parse_plp(request_from_form(**FORM))
    assert (req.reason, req.origin.tps, str(req.origin.yor_pct), req.port) == ("YOR_OVER_THRESHOLD", "KOJA", "71.5",
                                                                               "IDTPP")
    assert req.bc11.date == dt.date(2026, 11, 18)
    assert [(c.number, c.size) for c in req.containers] == [("CSQU3054383", "40"), ("MSCU6639870", "20")]
    req = parse_plp(request_from_form(**{**FORM, "containers": "CSQU3054383 40; MSCU6639870 45 TGHU8839415 20",
                                         "packages": "MAEU 123456789 12 pk\nHLCU987654321, 3, PL"}))
    assert [c.size for c in req.containers] == ["40", "45", "20"]
    assert [(p.bl_awb, p.quantity, p.kind) for p in req.packages] == [("MAEU 123456789", 12, "PK"),
                                                                      ("HLCU987654321", 3, "PL")]


@pytest.mark.parametrize(("change", "field"), [
    (dict(containers="CSQU3054383"), "containers"),
    (dict(containers="CSQU3054383 30"), "containers"),  # not a size: read as part of the number, none left
    (dict(packages="MAEU123456789 PK"), "packages"),
    (dict(origin_yor="tujuh puluh"), "origin.yor_pct"),
    (dict(destination_yor=""), "destination.yor_pct"),
    (dict(origin_yor="1.250,5"), "origin.yor_pct"),
])
def test_form_errors_name_the_field(change, field):
    with pytest.raises(InputError) as e:
        request_from_form(**{**FORM, **change})
    assert e.value.field == field


def _container_numbers():
    owner = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
    serial = st.integers(0, 999_999)

    def build(o, n):
        first10 = f"{o}U{n:06d}"
        return first10 + str(iso6346_check_digit(first10))

    return st.builds(build, owner, serial)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(_container_numbers(), st.sampled_from(["20", "40", "45"]),
                               st.sampled_from(["\n", "; ", " "]), st.booleans()),
                     min_size=1, max_size=6, unique_by=lambda r: r[0]))
def test_form_keeps_every_container_and_size_however_it_is_typed(rows):
    """Property: containers typed one per line, separated by ';' or run together on one line, with or without
    the spaces of the printed form ('CSQU 305438 3'), come out as the same numbers and sizes in order."""
    text = ""
    for number, size, sep, spaced in rows:
        shown = f"{number[:4]} {number[4:10]} {number[10]}" if spaced else number
        text += f"{shown} {size}{sep}"
    req = parse_plp(request_from_form(**{**FORM, "containers": text}))
    assert [(c.number, c.size) for c in req.containers] == [(n, sz) for n, sz, _, _ in rows]


# -- the check and the registration ---------------------------------------------------------------------------
def test_check_writes_nothing_and_agrees_with_registration(services, users, plp):
    officer = users[Role.OFFICER]
    text = demo_request("KOJA", "MTI1", "RUSH_HANDLING", [("CSQU3054384", "40")])
    ev = plp.check_request(officer, text)
    assert not ev.eligible and ev.refusals == ("APPLICANT_NOT_ALLOWED", "INVALID_CONTAINER_NUMBER")
    assert ev.invalid_containers == ("CSQU3054384",) and ev.ruleset == "PER-6-BC-2015" and ev.threshold_pct == 65
    assert ev.origin.code == "KOJA" and str(ev.origin.yor_pct) == "70.0"
    assert _count(services, Case) == 0 and _count(services, Document) == 0
    d = plp.import_request(officer, text)
    assert d.refusals == ev.refusals and d.case.state == "REJECTED"


@pytest.mark.parametrize(("text", "code"), [
    (demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40")], yor="64.99"), "YOR_BELOW_THRESHOLD"),
    (demo_request("MTI1", "JICT", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40")]), "YOR_BELOW_THRESHOLD"),
    (demo_request("KOJA", "MTI1", "POSTAL_GOODS", [("CSQU3054383", "40")]), "APPLICANT_NOT_ALLOWED"),
    (demo_request("KOJA", "MTI1", "STAGNATION_RISK", [("CSQU3054383", "40")], applicant="destination"),
     "APPLICANT_NOT_ALLOWED"),
    (demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40")], declared=True),
     "IMPORT_ALREADY_DECLARED"),
    (demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40"), ("ABCD1234567", "20")]),
     "INVALID_CONTAINER_NUMBER"),
    (demo_request("KOJA", "MTI1", "PLEASE", [("CSQU3054383", "40")]), "UNKNOWN_REASON"),
    (demo_request("KOJA", "TPKX", "NO_LCL_FACILITY", [("CSQU3054383", "40")]), "UNKNOWN_TPS"),
])
def test_each_refusal_code_rejects_at_registration_with_a_letter(services, users, plp, text, code):
    d = plp.import_request(users[Role.OFFICER], text)
    assert d.case.state == "REJECTED" and code in d.refusals and not d.eligible
    assert all(ln.state == "REJECTED" for ln in d.lines)
    assert len(d.documents) == 1 and "/PLP-TOLAK/" in d.documents[0]
    assert code in services.documents.preview(d.documents[0])
    assert plp.release_for_container("CSQU3054383") is None


def test_a_long_garbage_container_number_is_kept_refused(services, users, plp):
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "NO_LCL_FACILITY",
                                                             [("NOT A CONTAINER NUMBER 1", "40")]))
    assert d.refusals == ("INVALID_CONTAINER_NUMBER",) and d.lines[0].container_number == "NOTACONTAINERNUMBER1"
    with pytest.raises(InputError) as e:
        plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("X" * 33, "40")]))
    assert e.value.field == "containers[0].number"


@pytest.mark.parametrize(("text", "field"), [
    (demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40")], office="050100"), "office"),
    (demo_request("KOJA", "KOJA", "NO_LCL_FACILITY", [("CSQU3054383", "40")]), "destination.tps"),
    (demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40"), ("CSQU3054383", "40")]),
     "containers[1].number"),
    (json.dumps({**json.loads(demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40")])),
                 "origin": {"tps": "KOJA", "yor_pct": 71.5}}), "origin.yor_pct"),
    (b"\xff\xfe{", "$"),
])
def test_bad_requests_write_nothing(services, users, plp, text, field):
    with pytest.raises(InputError) as e:
        plp.import_request(users[Role.OFFICER], text)
    assert (e.value.field or "").startswith(field)
    assert _count(services, Case) == 0 and _count(services, PlpLine) == 0


def test_requests_are_for_officers(services, users, plp):
    from workstation.errors import PermissionDenied

    text = demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40")])
    for role in (Role.INSPECTOR, Role.EXAMINER):
        with pytest.raises(PermissionDenied):
            plp.import_request(users[role], text)
        with pytest.raises(PermissionDenied):
            plp.check_request(users[role], text)


def test_packages_only_request_moves_lines_by_bl(services, users, plp):
    d = plp.import_request(users[Role.OFFICER], demo_request(
        "MTI1", "KOJA", "MASTER_AWB_FORWARDER", [], applicant="destination",
        packages=[("MAEU123456789", 12, "PK"), ("HLCU987654321", 3, "PL")]))
    assert d.case.state == "SUBMITTED" and d.operator == "PT Koja"  # the destination operator applied
    assert [(ln.kind, ln.what) for ln in d.lines] == [("package", "MAEU123456789: 12 PK"),
                                                     ("package", "HLCU987654321: 3 PL")]


# -- "no PLP once an import declaration is submitted": the hook -----------------------------------------------
def test_the_hook_sees_bc11_and_containers_and_refuses(services, users, plp):
    seen = []

    def declared(number, date, containers):
        seen.append((number, date, containers))
        return "MSCU6639870" in containers

    svc = PlpService(services, import_declared=declared)
    officer = users[Role.OFFICER]
    ok = svc.import_request(officer, demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40")]))
    refused = svc.import_request(officer, demo_request("KOJA", "MTI1", "NO_LCL_FACILITY",
                                                       [("csqu3054383", "40"), ("MSCU6639870", "20")]))
    assert ok.refusals == () and refused.refusals == ("IMPORT_ALREADY_DECLARED",)
    assert seen[1] == ("001234", dt.date(2026, 11, 18), ("CSQU3054383", "MSCU6639870"))
    assert svc.check_request(officer, demo_request("KOJA", "MTI1", "NO_LCL_FACILITY",
                                                   [("MSCU6639870", "20")])).refusals == ("IMPORT_ALREADY_DECLARED",)


def test_default_hook_asks_the_pib_workflow_by_duck_typing():
    asked = []
    pib = SimpleNamespace(declared_for_bc11=lambda n, d: asked.append(("bc11", n, d)) or n == "000009",
                          declared_for_containers=lambda cs: asked.append(("containers", cs)) or "TGHU8839415" in cs)
    hook = pib_declared_hook(SimpleNamespace(pib=pib))
    day = dt.date(2026, 11, 18)
    assert hook("000009", day, ())
    assert hook("000001", day, ("TGHU8839415",))
    assert not hook("000001", day, ("CSQU3054383",))
    assert not hook("000001", day, ())
    assert ("containers", ("CSQU3054383",)) in asked
    # a PIB service without these queries, or none at all: nothing on record
    assert not pib_declared_hook(SimpleNamespace(pib=SimpleNamespace()))("000009", day, ("TGHU8839415",))

    class NoPib:
        @property
        def pib(self):
            raise ImportError("no PIB workflow in this build")

    assert not pib_declared_hook(NoPib())("000009", day, ())


def test_default_hook_is_wired_to_the_pib_service(services, users, plp, monkeypatch):
    monkeypatch.setattr(type(services.pib), "declared_for_bc11", lambda self, n, d: n == "004321", raising=True)
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "NO_LCL_FACILITY",
                                                             [("CSQU3054383", "40")], bc11="004321"))
    assert d.refusals == ("IMPORT_ALREADY_DECLARED",)


# -- the registry's advice ----------------------------------------------------------------------------------
def test_registry_advice_is_shown_not_refused(services, users, plp):
    officer = users[Role.OFFICER]
    d = plp.import_request(officer, demo_request("KOJA", "JICT", "NO_LCL_FACILITY", [("CSQU3054383", "40")]))
    assert d.case.state == "SUBMITTED"
    assert d.warnings == ("DESTINATION_NO_LCL", "DESTINATION_OVER_THRESHOLD", "ORIGIN_HAS_LCL")
    ev = plp.check_request(officer, demo_request("JICT", "MTI1", "NO_SPECIAL_FACILITY", [("MSCU6639870", "40")]))
    assert ev.eligible and ev.warnings == ()
    ev = plp.check_request(officer, demo_request("MTI1", "KOJA", "NO_SPECIAL_FACILITY", [("MSCU6639870", "40")]))
    assert ev.warnings == ("DESTINATION_NO_SPECIAL", "DESTINATION_OVER_THRESHOLD")


def test_references_count_per_day(services, users, plp, clock):
    officer = users[Role.OFFICER]
    text = demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40")])
    refs = [plp.import_request(officer, text).case.reference for _ in range(2)]
    clock.advance(days=1)
    refs.append(plp.import_request(officer, text).case.reference)
    assert refs == ["PLP-20261121-0001", "PLP-20261121-0002", "PLP-20261122-0001"]
    assert plp.find("PLP-20261121-0002") is not None
