"""The supervisor's daily report, from data the real workflows wrote: the demo's PIBs (dewi's SPTNP, a PIB
registered 35 days ago) and the counter's e-CDs, then later days on the service clock. No summary key is set by
hand; the expected figures are read back through the PIB service's own views."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from printing.fmt import rupiah
from tests.services.test_queries_pib import plans
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import PermissionDenied

# levy keys of a PIB billing's `levies` -> the report's levy labels
PIB_LEVIES = {"bm_idr": "BM", "ppn_idr": "PPN", "ppnbm_idr": "PPnBM", "pph_idr": "PPh", "excise_idr": "Cukai"}


@pytest.fixture
def demo(services, monkeypatch):
    """The demo users and the demo's reference data, PIBs and e-CDs, seeded through the services."""
    from workstation import demo as D

    auth = services.auth
    login, name, _, nip = D.DEMO_USERS[0]
    auth.create_first_admin(login, name, D.DEMO_PASSWORD, nip=nip)
    services.issuance.ensure_office_key()
    admin = auth.login(login, D.DEMO_PASSWORD)
    for login, name, role, nip in D.DEMO_USERS[1:]:
        auth.create_user(admin, login, name, [role], D.DEMO_PASSWORD, nip=nip)
    monkeypatch.setattr(D, "SEED_MODULES", ("reference", "pib", "ecd"))
    D.seed_workflows(services)
    return {who: auth.login(who, D.DEMO_PASSWORD) for who in ("agus", "dewi", "siti")}


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def _pibs(services, sup):
    """Every PIB's detail, through the PIB service (what an officer would see)."""
    return [services.pib.get(sup, r.case_id) for r in services.pib.queue(sup, include_closed=True)]


def _expected_levies(details, day: dt.date) -> dict[str, tuple[int, int]]:
    """Per levy label: (billed on `day`, paid on `day`), from the PIB views' billings."""
    out: dict[str, list[int]] = {}
    for d in details:
        for b in d.billings:
            parts = {PIB_LEVIES[k]: int(v) for k, v in b.levies.items() if k in PIB_LEVIES}
            parts["Denda"] = b.fine_idr
            for levy, amount in parts.items():
                row = out.setdefault(levy, [0, 0])
                row[0] += amount if b.issued_on == day else 0
                row[1] += amount if b.paid_on == day else 0
    return {k: (b, p) for k, (b, p) in out.items() if b or p}


def _levies(data) -> dict[str, tuple[int, int]]:
    return {r.label: (r.assessed_idr, r.collected_idr) for r in data.levies}


def test_the_day_of_an_sptnp_shows_its_duty_billed_then_paid(services, demo, tmp_path):
    sup, dewi = demo["agus"], demo["dewi"]
    today = services.ctx.today()
    details = _pibs(services, sup)
    sptnp_case = next(d for d in details if d.case.state == "SPTNP")
    (bill,) = [b for b in sptnp_case.billings if b.kind == "SPTNP"]
    assert bill.issued_on == today and bill.paid_on is None and bill.total_idr > 0

    data = services.report.daily_report_data(sup, today)
    duties = {r.label: (r.assessed_idr, r.collected_idr) for r in data.duties}
    assert duties["SPTNP"] == (bill.total_idr, 0)
    # per levy, the report adds up exactly what the PIB views say was billed and paid today (PIB only: the
    # e-CD's billing of the day is added on top of BM / PPN)
    ecd_billed = duties.get("ECD", (0, 0))
    pib_levies = _expected_levies(details, today)
    assert sum(b for b, _ in _levies(data).values()) == sum(b for b, _ in pib_levies.values()) + ecd_billed[0]
    assert _levies(data)["PPh"] == pib_levies["PPh"]  # the e-CD bills no PPh in the demo
    assert {"ECD", "PIB", "SPTNP"} <= set(duties) and duties["ECD"][0] > 0

    out = services.report.daily_report(sup, today, tmp_path / "day.pdf")
    text = _text(out)
    assert "SPTNP" in text and rupiah(bill.total_idr) in text
    # the report leaves the office signed like every other PDF it issues (issue #11)
    from db.models import Office
    from printing.pades import check_pdf

    with services.ctx.db.read() as s:
        cert = s.get(Office, services.settings.office.code).signing_certificate
    assert check_pdf(out.read_bytes(), cert).ok

    # dewi's SPTNP is paid the same day: the report now shows it collected
    services.pib.pay_sptnp(dewi, sptnp_case.case.id, sptnp_case.case.version, billing_code=bill.code,
                           ntpn="0A1B2C3D4E5F6G7H", amount_idr=bill.total_idr)
    data = services.report.daily_report_data(sup, today)
    assert {r.label: (r.assessed_idr, r.collected_idr) for r in data.duties}["SPTNP"] == (bill.total_idr,
                                                                                         bill.total_idr)
    assert _levies(data)["PPh"] == _expected_levies(_pibs(services, sup), today)["PPh"]
    # the day before shows none of it
    before = services.report.daily_report_data(sup, today - dt.timedelta(days=1))
    assert "SPTNP" not in {r.label for r in before.duties}


def test_a_pib_past_its_determination_sla_is_a_breach(services, demo, clock, tmp_path):
    sup = demo["agus"]
    today = services.ctx.today()
    details = _pibs(services, sup)
    old = next(d for d in details if d.registered_on == today - dt.timedelta(days=35))
    research = next(d for d in details if d.case.state == "RESEARCH")

    data = services.report.daily_report_data(sup, today)
    late = {b.case_ref: b for b in data.sla_breaches}
    assert set(late) == {old.aju}  # the one registered 35 days ago, and only it
    assert late[old.aju].kind == "PIB" and late[old.aju].stage == "INSPECTION"
    assert late[old.aju].overdue_minutes == 5 * 24 * 60  # due 30 days after registration; 5 days over at day's end
    assert {b.ref for b in data.btd} == {old.aju}  # its goods are past the TPS limit as well

    # the service clock moves on 30 days: the PIB in research has passed its SLA too
    clock.advance(days=30)
    later = services.ctx.today()
    data = services.report.daily_report_data(sup, later)
    assert {b.case_ref for b in data.sla_breaches if b.kind == "PIB" and b.stage == "RESEARCH"} == {research.aju}
    # ... but the report of the first day still shows that day's breaches only
    assert {b.case_ref for b in services.report.daily_report_data(sup, today).sla_breaches} == {old.aju}

    out = services.report.daily_report(sup, later, tmp_path / "later.pdf")
    text = _text(out).replace("\n", "")
    assert research.aju[:20] in text and "RESEARCH" in text

    # dewi determines it that day: the breach is gone at the end of that day, and stays on the days before
    services.pib.determine(demo["dewi"], research.case.id, services.pib.get(sup, research.case.id).version,
                           services.pib.determination_from_form([]), note="temuan LHP diterima")
    assert research.aju not in {b.case_ref for b in services.report.daily_report_data(sup, later).sla_breaches}
    before = services.report.daily_report_data(sup, later - dt.timedelta(days=1)).sla_breaches
    assert research.aju in {b.case_ref for b in before}


def test_an_sptnp_unpaid_past_its_due_date_is_a_breach(services, demo, clock):
    sup = demo["agus"]
    sptnp_case = next(d for d in _pibs(services, sup) if d.case.state == "SPTNP")
    (bill,) = [b for b in sptnp_case.billings if b.kind == "SPTNP"]

    def overdue(day):
        return [(b.case_ref, b.stage) for b in services.report.daily_report_data(sup, day).sla_breaches
                if b.stage.startswith("SPTNP")]

    clock.advance(days=(bill.due_on - services.ctx.today()).days)
    assert overdue(services.ctx.today()) == []  # the due date itself is still in time
    clock.advance(days=1)
    assert overdue(services.ctx.today()) == [(sptnp_case.aju, f"SPTNP {bill.code}")]


def test_the_report_queries_are_bounded_by_indexes(services, demo):
    sup = demo["agus"]
    assert plans(services, lambda _s: services.report.daily_report_data(sup, services.ctx.today())) == []


def test_only_a_supervisor_gets_the_report(services, demo, tmp_path):
    for who in ("dewi", "siti"):
        with pytest.raises(PermissionDenied) as err:
            services.report.daily_report_data(demo[who], services.ctx.today())
        assert err.value.code == ErrorCode.ROLE_REQUIRED
        with pytest.raises(PermissionDenied):
            services.report.daily_report(demo[who], services.ctx.today(), tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_an_empty_database_gives_an_empty_report(services, users):
    data = services.report.daily_report_data(users[Role.SUPERVISOR], services.ctx.today())
    assert [(r.label, r.count) for r in data.opened] == [("ECD", 0), ("PIB", 0), ("PLP", 0)]
    assert data.lanes == [] and data.duties == [] and data.levies == [] and data.sla_breaches == [] and data.btd == []


def test_plp_lines_late_at_a_gate_and_containers_past_the_tps_limit(services, users, clock):
    """A PLP line approved and not taken out within the rule set's hours is a breach of the days it stays late
    (and of those days only, after it moved); the container then lies at the destination past the TPS limit."""
    from tests.services.test_plp_workflow import _approved

    services.issuance.ensure_office_key()
    sup, officer = users[Role.SUPERVISOR], users[Role.OFFICER]
    for code in ("KOJA", "MTI1"):
        services.plp.save_tps(sup, code, code, f"PT {code}", "IDTPP", 1000)
    d = _approved(services, users, services.plp)

    def plp_breaches(day):
        return [(b.case_ref, b.stage) for b in services.report.daily_report_data(sup, day).sla_breaches
                if b.kind == "PLP"]

    day0 = services.ctx.today()
    assert plp_breaches(day0) == []  # 72 hours to leave the origin
    clock.advance(days=4)
    late_day = services.ctx.today()
    assert plp_breaches(late_day) == [(f"{d.plp_number} #1", "OUT KOJA CSQU3054383")]
    clock.advance(days=1)
    services.plp.record_gate_out(officer, "CSQU3054383", tps="KOJA", truck_plate="B 9044 UIO")
    assert plp_breaches(late_day) == [(f"{d.plp_number} #1", "OUT KOJA CSQU3054383")]  # it was late that day
    clock.advance(hours=13)  # 12 hours to reach the destination
    assert plp_breaches(services.ctx.today()) == [(f"{d.plp_number} #1", "IN MTI1 CSQU3054383")]
    services.plp.record_gate_in(officer, "CSQU3054383", tps="MTI1", truck_plate="B 9044 UIO")
    assert plp_breaches(services.ctx.today()) == []

    assert services.report.daily_report_data(sup, services.ctx.today()).btd == []
    clock.advance(days=32)  # 30 days in a TPS, counted from first storage (in at 22:00 WIB: 2 days over)
    btd = services.report.daily_report_data(sup, services.ctx.today()).btd
    assert [(b.ref, b.kind, b.place, b.days_over) for b in btd] == [("CSQU3054383", "TPS", "MTI1", 2)]


def test_an_ecd_billing_paid_at_the_counter_is_collected_per_levy(services, demo):
    """The counter's billing of the day (the demo's reassessment) is billed per levy; once siti records the
    payment, the same levies show as collected."""
    sup, siti = demo["agus"], demo["siti"]
    today = services.ctx.today()
    row = next(r for r in services.ecd.queue().rows if r.state == "BILLED")
    billing = services.ecd.get(row.case_id).billing
    assert billing is not None and billing.amount_idr > 0
    # levy keys of the e-CD billing -> the report's labels (workstation/services/ecd/queries.py LEVY_KEYS)
    ecd_levies = {"BM": billing.levies["import_duty_idr"], "PPN": billing.levies["vat_idr"]}

    def levies():
        data = services.report.daily_report_data(sup, today)
        return {r.label: (r.assessed_idr, r.collected_idr) for r in data.levies}, \
            {r.label: (r.assessed_idr, r.collected_idr) for r in data.duties}

    before, duties = levies()
    assert duties["ECD"] == (billing.amount_idr, 0)
    services.ecd.record_payment(siti, row.case_id, services.ecd.get(row.case_id).version,
                                billing_code=billing.code, receipt_number="NTPN1234567890AB",
                                amount_idr=billing.amount_idr, channel="CASH")
    after, duties = levies()
    assert duties["ECD"] == (billing.amount_idr, billing.amount_idr)
    for levy, amount in ecd_levies.items():
        assert after[levy][0] == before[levy][0]  # billed: unchanged
        assert after[levy][1] == before[levy][1] + amount  # collected: the e-CD's share added


@pytest.mark.parametrize("days_later", [0, 31, 62])
def test_the_report_agrees_with_the_pib_queue_flags(services, demo, clock, days_later):
    """For the current day, the report's PIB breaches and BTD are exactly the PIB queue's SLA_BREACH,
    SPTNP_OVERDUE and BTD flags: one definition, read two ways (the queue per case, the report by index)."""
    sup = demo["agus"]
    clock.advance(days=days_later)
    queue = services.pib.queue(sup, include_closed=True)
    data = services.report.daily_report_data(sup, services.ctx.today())
    late = {b.case_ref for b in data.sla_breaches if b.kind == "PIB" and not b.stage.startswith("SPTNP")}
    unpaid = {b.case_ref for b in data.sla_breaches if b.stage.startswith("SPTNP")}
    assert late == {r.aju for r in queue if "SLA_BREACH" in r.flags}
    assert unpaid == {r.aju for r in queue if "SPTNP_OVERDUE" in r.flags}
    assert {b.ref for b in data.btd if b.kind == "PIB"} == {r.aju for r in queue if "BTD" in r.flags}
    assert late or days_later == 0 or unpaid  # the later days do have breaches to compare
