"""PLP through the services: refusals (each code), approval per line with a numbered letter, gate-out and
gate-in closing the case, overdue lines refusing the operator's next request, cancellation, conflicts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from db.models_plp import PlpMovement
from workstation.demo.plp import demo_request
from workstation.domain.codes import Role
from workstation.errors import ConflictError, InputError, PermissionDenied, Refusal


@pytest.fixture
def plp(services, users):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, facilities=["LCL"])
    services.plp.save_tps(sup, "MTI1", "MTI 1", "PT MTI", "IDTPP", 1000)
    services.plp.save_tps(sup, "JICT", "JICT", "PT JICT", "IDTPP", 1000)
    return services.plp


def _fill(services, users, tps: str, teu: int) -> None:
    services.plp.save_tps(users[Role.SUPERVISOR], tps, tps, f"PT {tps}", "IDTPP", 1000, occupancy_teu_entered=teu)


def _count(services, model) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_eligible_request_is_submitted_with_its_lines(services, users, plp):
    _fill(services, users, "KOJA", 700)
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                             [("CSQU3054383", "40"), ("MSCU6639870", "20")]))
    assert d.refusals == () and d.case.state == "SUBMITTED" and d.eligible and d.reasons_met == ("YOR_OVER_THRESHOLD",)
    assert [(ln.seq, ln.state) for ln in d.lines] == [(1, "PENDING"), (2, "PENDING")]
    assert d.documents == ()


@pytest.mark.parametrize(
    ("request_kw", "prep", "code"),
    [
        (dict(reason="YOR_OVER_THRESHOLD", yor="64.9"), None, "YOR_BELOW_THRESHOLD"),
        (dict(reason="YOR_OVER_THRESHOLD", yor="80"), ("KOJA", 500), "YOR_BELOW_THRESHOLD"),  # registry says 50 %
        (dict(reason="RUSH_HANDLING"), None, "APPLICANT_NOT_ALLOWED"),
        (dict(reason="NO_LCL_FACILITY", applicant="destination"), None, "APPLICANT_NOT_ALLOWED"),
        (dict(reason="BECAUSE_WE_SAY_SO"), None, "UNKNOWN_REASON"),
    ],
)
def test_each_refusal_keeps_the_request_rejected_with_a_letter(services, users, plp, request_kw, prep, code):
    if prep:
        _fill(services, users, *prep)
    else:
        _fill(services, users, "KOJA", 700)
    kw = dict(request_kw)
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", kw.pop("reason"),
                                                             [("CSQU3054383", "40")], **kw))
    assert d.case.state == "REJECTED" and not d.eligible
    assert code in d.refusals
    assert len(d.documents) == 1 and "/PLP-TOLAK/" in d.documents[0]


def test_invalid_container_and_declared_import_are_refused(services, users, plp):
    _fill(services, users, "KOJA", 700)
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "NO_LCL_FACILITY",
                                                             [("CSQU3054384", "40")]))
    assert "INVALID_CONTAINER_NUMBER" in d.refusals
    text = json.loads(demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "40")]))
    text["import_declared"] = True
    d = plp.import_request(users[Role.OFFICER], json.dumps(text))
    assert "IMPORT_ALREADY_DECLARED" in d.refusals


def test_a_pib_on_record_for_the_bc11_refuses_the_move(services, users):
    from workstation.services.plp import PlpService

    services.issuance.ensure_office_key()
    calls = []

    def declared(number, date, containers):
        calls.append((number, date, containers))
        return True

    svc = PlpService(services, import_declared=declared)
    svc.save_tps(users[Role.SUPERVISOR], "KOJA", "K", "PT K", "IDTPP", 1000)
    svc.save_tps(users[Role.SUPERVISOR], "MTI1", "M", "PT M", "IDTPP", 1000)
    d = svc.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "NO_LCL_FACILITY",
                                                             [("CSQU3054383", "40")]))
    assert calls == [("001234", dt.date(2026, 11, 18), ("CSQU3054383",))]
    assert "IMPORT_ALREADY_DECLARED" in d.refusals


def test_unknown_tps_is_refused(services, users, plp):
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "NOPE", "NO_LCL_FACILITY",
                                                             [("CSQU3054383", "40")]))
    assert "UNKNOWN_TPS" in d.refusals


@pytest.mark.parametrize(("text", "field"), [
    ("{not json", "$"),
    (json.dumps({"format": "plp/1"}), "office"),
    (demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", []), "containers"),
    (demo_request("KOJA", "MTI1", "NO_LCL_FACILITY", [("CSQU3054383", "30")]), "containers[0].size"),
])
def test_bad_input_names_the_field_and_writes_nothing(services, users, plp, text, field):
    from db.models import Case

    with pytest.raises(InputError) as e:
        plp.import_request(users[Role.OFFICER], text)
    assert (e.value.field or "").startswith(field)
    assert _count(services, Case) == 0


def _approved(services, users, plp):
    _fill(services, users, "KOJA", 700)
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                             [("CSQU3054383", "40"), ("MSCU6639870", "40")]))
    # siti registers, agus decides: who registers a request may not decide it
    return plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version,
                      {1: (True, ""), 2: (False, "BL tidak sesuai")}, note="Segera dipindahkan")


def test_approval_per_line_issues_the_numbered_letter(services, users, plp):
    d = _approved(services, users, plp)
    assert d.case.state == "APPROVED"
    assert [(ln.seq, ln.state, ln.reason) for ln in d.lines] == [(1, "APPROVED", None), (2, "REJECTED", "BL tidak sesuai")]
    assert d.plp_number == "000001/PLP/040300/2026" and d.documents == (d.plp_number,)
    text = services.documents.preview(d.plp_number)
    assert "CSQU3054383" in text and "BL tidak sesuai" in text


def test_decision_needs_every_line_and_a_reason_for_rejections(services, users, plp):
    _fill(services, users, "KOJA", 700)
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                             [("CSQU3054383", "40"), ("MSCU6639870", "40")]))
    sup = users[Role.SUPERVISOR]  # siti registered it
    with pytest.raises(InputError, match="line 2"):
        plp.decide(sup, d.case.id, d.case.version, {1: (True, "")})
    with pytest.raises(InputError, match="reason"):
        plp.decide(sup, d.case.id, d.case.version, {1: (True, ""), 2: (False, " ")})
    with pytest.raises(PermissionDenied):
        plp.decide(users[Role.EXAMINER], d.case.id, d.case.version, {1: (True, ""), 2: (True, "")})
    assert plp.get(d.case.id).case.state == "SUBMITTED"
    r = plp.decide(sup, d.case.id, d.case.version, {1: (False, "x"), 2: (False, "y")})
    assert r.case.state == "REJECTED" and "/PLP-TOLAK/" in r.documents[0]


def test_gate_out_and_in_close_the_case_and_keep_the_30_day_clock(services, users, plp, clock):
    from db.models_plp import TpsContainer

    officer = users[Role.OFFICER]
    plp.store_container(officer, "KOJA", "CSQU3054383", "40", first_stored_at=clock.now - dt.timedelta(days=10))
    d = _approved(services, users, plp)
    assert plp.release_for_container("CSQU3054383").direction == "OUT"
    with pytest.raises(Refusal):  # line 2 was rejected
        plp.gate_out(officer, d.case.id, d.case.version, 2, truck_plate="B 9044 UIO")
    d = plp.gate_out(officer, d.case.id, d.case.version, 1, truck_plate="b 9044 uio", seals=["SL-001"])
    assert d.case.state == "MOVING"
    assert plp.release_for_container("CSQU3054383").direction == "IN"
    assert plp.release_for_container("CSQU3054383", tps="KOJA") is None
    clock.advance(hours=2)
    d = plp.gate_in(officer, d.case.id, d.case.version, 1, truck_plate="B 9044 UIO", seals=["SL-001"])
    assert d.case.state == "CLOSED"
    assert plp.release_for_container("CSQU3054383") is None
    with services.ctx.db.read() as s:
        moves = [(m.direction, m.tps_code, m.truck_plate) for m in s.scalars(select(PlpMovement).order_by(PlpMovement.at))]
        here = s.scalar(select(TpsContainer).where(TpsContainer.number == "CSQU3054383",
                                                   TpsContainer.left_at.is_(None)))
    assert moves == [("OUT", "KOJA", "B 9044 UIO"), ("IN", "MTI1", "B 9044 UIO")]
    assert here.tps_code == "MTI1" and here.first_stored_at == clock.now - dt.timedelta(days=10, hours=2)


def test_gate_can_record_by_container_number(services, users, plp):
    d = _approved(services, users, plp)
    r = plp.record_gate_move(users[Role.OFFICER], "CSQU3054383", tps="KOJA", truck_plate="B 1 AB", read_by="gate-1")
    assert r.direction == "OUT"
    with pytest.raises(Refusal):
        plp.record_gate_move(users[Role.OFFICER], "MSCU6639870", tps="KOJA", truck_plate="B 1 AB")
    assert plp.get(d.case.id).case.state == "MOVING"


def test_overdue_lines_refuse_the_operators_next_request(services, users, plp, clock):
    d = _approved(services, users, plp)
    assert plp.queue("overdue") == []
    clock.advance(hours=73)  # the [U] 72 h to leave the origin has passed
    assert [r.reference for r in plp.queue("overdue")] == [d.case.reference]
    nxt = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "JICT", "NO_LCL_FACILITY",
                                                               [("TGHU8839415", "40")]))
    assert nxt.case.state == "REJECTED" and "UNREPORTED_MOVEMENTS" in nxt.refusals
    # once the movement is reported the operator may apply again
    plp.gate_out(users[Role.OFFICER], d.case.id, d.case.version, 1, truck_plate="B 2 CD")
    again = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "JICT", "NO_LCL_FACILITY",
                                                                 [("TGHU8839415", "40")]))
    assert again.case.state == "SUBMITTED"


def test_cancellation_before_moving_with_a_letter(services, users, plp):
    d = _approved(services, users, plp)
    with pytest.raises(InputError):
        plp.cancel(users[Role.OFFICER], d.case.id, d.case.version, "  ")
    c = plp.cancel(users[Role.SUPERVISOR], d.case.id, d.case.version, "importir mengajukan PIB")
    assert c.case.state == "CANCELLED" and "/PLP-BATAL/" in c.documents[-1]
    assert plp.release_for_container("CSQU3054383") is None
    d2 = _approved(services, users, plp)
    d2 = plp.gate_out(users[Role.OFFICER], d2.case.id, d2.case.version, 1, truck_plate="B 3 EF")
    with pytest.raises(Refusal):
        plp.cancel(users[Role.OFFICER], d2.case.id, d2.case.version, "terlambat")


def test_concurrent_edit_gets_a_conflict_and_nothing_is_lost(services, users, plp):
    d = _approved(services, users, plp)
    stale = d.case.version
    plp.gate_out(users[Role.OFFICER], d.case.id, stale, 1, truck_plate="B 4 GH")
    with pytest.raises(ConflictError, match="siti"):
        plp.cancel(users[Role.SUPERVISOR], d.case.id, stale, "pembatalan")
    assert plp.get(d.case.id).case.state == "MOVING"


def test_bad_truck_plate_and_seal_write_nothing(services, users, plp):
    d = _approved(services, users, plp)
    with pytest.raises(InputError, match="plate"):
        plp.gate_out(users[Role.OFFICER], d.case.id, d.case.version, 1, truck_plate="??")
    with pytest.raises(InputError):
        plp.gate_out(users[Role.OFFICER], d.case.id, d.case.version, 1, truck_plate="B 1 A", seals=["x y"])
    assert _count(services, PlpMovement) == 0


def test_tps_overview_computes_yor(services, users, plp):
    plp.store_container(users[Role.OFFICER], "JICT", "CSQU3054383", "40")
    plp.store_container(users[Role.OFFICER], "JICT", "MSCU6639870", "20")
    jict = {t.code: t for t in plp.tps_overview()}["JICT"]
    assert (jict.teu_used, str(jict.yor_pct), str(jict.threshold_pct)) == (3, "0.3", "65")
    with pytest.raises(Refusal):
        plp.store_container(users[Role.OFFICER], "KOJA", "CSQU3054383", "40")
    with pytest.raises(InputError):
        plp.store_container(users[Role.OFFICER], "KOJA", "ABCU1234567", "40")


def test_cli_plp_import(services, users, plp, settings, tmp_path):
    import os
    import subprocess
    import sys

    _fill(services, users, "KOJA", 700)
    good = tmp_path / "good.json"
    good.write_text(demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", [("CSQU3054383", "40")]))
    refused = tmp_path / "refused.json"
    refused.write_text(demo_request("KOJA", "MTI1", "RUSH_HANDLING", [("MSCU6639870", "40")]))
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "plp/1", "office": 40300}')
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    env.update(WORKSTATION_DATABASE_URL=settings.effective_database_url, WORKSTATION_DATA_DIR=str(settings.data_dir),
               WORKSTATION_OFFICE__CODE="040300")  # a configured office (#12 item 7)
    p = subprocess.run([sys.executable, "-m", "workstation", "plp", "import", str(good), str(bad), str(refused)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2
    assert "SUBMITTED" in p.stdout and "REJECTED (APPLICANT_NOT_ALLOWED)" in p.stdout
    assert "bad.json" in p.stderr and "office" in p.stderr and "Traceback" not in p.stderr
    assert len(plp.queue("all")) == 2


def test_preview_of_the_decision_writes_nothing(services, users, plp):
    from db.models import Document

    _fill(services, users, "KOJA", 700)
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                             [("CSQU3054383", "40")]))
    text = plp.preview_decision(users[Role.SUPERVISOR], d.case.id, {1: (True, "")})  # siti registered it
    assert "DRAFT" in text and "CSQU3054383" in text and "DISETUJUI" in text
    assert _count(services, Document) == 0 and plp.get(d.case.id).case.version == d.case.version
    issued = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, "")})
    assert issued.plp_number == "000001/PLP/040300/2026"  # the preview took no number


def test_the_officer_who_registered_a_request_may_not_decide_it(services, users, plp):
    _fill(services, users, "KOJA", 700)
    d = plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                             [("CSQU3054383", "40")]))
    with pytest.raises(PermissionDenied) as e:
        plp.decide(users[Role.OFFICER], d.case.id, d.case.version, {1: (True, "")})
    assert e.value.code == "SEPARATION_OF_DUTIES"
    with pytest.raises(PermissionDenied) as e:  # told at the preview already, before the letter is drafted
        plp.preview_decision(users[Role.OFFICER], d.case.id, {1: (True, "")})
    assert e.value.code == "SEPARATION_OF_DUTIES"
    assert plp.get(d.case.id).case.state == "SUBMITTED" and plp.get(d.case.id).documents == ()
    r = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, "")})  # another officer may
    assert r.case.state == "APPROVED"
