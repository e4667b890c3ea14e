"""The TPS registry: yard (TEU) and shed (m³) capacity, occupancy computed from stored containers or entered
from the operator's report, the YOR threshold per port from the rule set, and the CSV import."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry
from db.models_plp import Tps
from workstation.config import with_overrides
from workstation.demo.plp import demo_request, sample_tps_csv
from workstation.domain.codes import Role
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plp"


def _count(services, model) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def sup(users):
    return users[Role.SUPERVISOR]


@pytest.mark.parametrize(("kw", "field"), [
    (dict(code="k"), "code"),
    (dict(code="TOO-LONG-CODE"), "code"),
    (dict(port="tanjung"), "port"),
    (dict(name=" "), "name"),
    (dict(capacity_teu=0), "capacity_teu"),
    (dict(capacity_teu=None), "capacity_teu"),  # neither a yard nor a shed
    (dict(capacity_m3=Decimal("-1")), "capacity_m3"),
    (dict(facilities=["LCL", "POOL"]), "facilities"),
    (dict(occupancy_teu_entered=-5), "occupancy_teu"),
    (dict(capacity_m3=None, occupancy_m3_entered=Decimal("10")), "occupancy_m3"),  # no shed to relate it to
])
def test_bad_tps_names_the_field_and_writes_nothing(services, sup, kw, field):
    args = dict(code="KOJA", name="TPK Koja", operator="PT Koja", port="IDTPP", capacity_teu=1000,
                capacity_m3=None, facilities=["LCL"])
    args.update(kw)
    pos = [args.pop(k) for k in ("code", "name", "operator", "port", "capacity_teu")]
    with pytest.raises(InputError) as e:
        services.plp.save_tps(sup, *pos, **args)
    assert e.value.field == field
    assert _count(services, Tps) == 0 and _count(services, AuditEntry) == _audit_baseline(services)


def _audit_baseline(services) -> int:
    # logins of the `users` fixture are audited; nothing else may be
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.notlike("plp.%")))


def test_only_supervisors_and_admins_keep_the_registry(services, users):
    with pytest.raises(PermissionDenied):
        services.plp.save_tps(users[Role.OFFICER], "KOJA", "K", "PT K", "IDTPP", 1000)
    with pytest.raises(PermissionDenied):
        services.plp.import_tps(users[Role.OFFICER], sample_tps_csv())
    assert services.plp.save_tps(users[Role.ADMIN], "KOJA", "K", "PT K", "IDTPP", 1000).code == "KOJA"


@pytest.mark.parametrize(("sizes", "teu"), [(["20"], 1), (["40"], 2), (["45"], 2), (["20", "40", "45", "20"], 6)])
def test_yard_occupancy_counts_teu_of_the_containers_stored(services, users, sup, sizes, teu):
    services.plp.save_tps(sup, "JICT", "JICT", "PT JICT", "IDTPP", 40)
    numbers = ["CSQU3054383", "MSCU6639870", "TGHU8839415", "MSKU9070323"]
    for number, size in zip(numbers, sizes, strict=False):
        services.plp.store_container(users[Role.OFFICER], "JICT", number, size)
    v = services.plp.tps("JICT")
    assert (v.teu_used, v.source, v.containers) == (teu, "containers", len(sizes))
    assert v.yor_pct == (Decimal(teu) * 100 / 40).quantize(Decimal("0.1"))


def test_entered_occupancy_wins_until_cleared(services, users, sup, clock):
    plp = services.plp
    plp.save_tps(sup, "KOJA", "K", "PT K", "IDTPP", 1000)
    plp.store_container(users[Role.OFFICER], "KOJA", "CSQU3054383", "40")
    clock.advance(minutes=5)
    v = plp.record_occupancy(users[Role.OFFICER], "koja", teu="700")
    assert (v.teu_used, str(v.yor_pct), v.source, v.entered_at) == (700, "70.0", "entered", clock.now)
    assert v.over_threshold
    v = plp.record_occupancy(users[Role.OFFICER], "KOJA")  # cleared: back to the stored containers
    assert (v.teu_used, v.source, v.entered_at) == (2, "containers", None)
    with pytest.raises(InputError) as e:
        plp.record_occupancy(users[Role.OFFICER], "KOJA", teu="12.5")  # whole TEU, digits only
    assert e.value.field == "occupancy_teu"
    with pytest.raises(InputError):
        plp.record_occupancy(users[Role.OFFICER], "KOJA", m3="10")  # no shed
    with pytest.raises(NotFound):
        plp.record_occupancy(users[Role.OFFICER], "NOPE", teu=1)


def test_floored_display_never_shows_a_threshold_not_reached(services, sup):
    v = services.plp.save_tps(sup, "KOJA", "K", "PT K", "IDTPP", 10_000, occupancy_teu_entered=6_499)  # 64.99 %
    assert str(v.yor_pct) == "64.9" and not v.over_threshold


def test_shed_only_tps_has_sor_and_no_yard(services, users, sup):
    v = services.plp.save_tps(sup, "GDG1", "Gudang 1", "PT Gudang", "IDTPP", None, capacity_m3=Decimal("5000"),
                              facilities=["lcl", "COLD"])
    assert (v.capacity_teu, v.teu_used, v.yor_pct, v.sor_pct, v.source) == (None, None, None, None, "none")
    assert v.facilities == ("COLD", "LCL")
    v = services.plp.record_occupancy(users[Role.OFFICER], "GDG1", m3="3400,5")
    assert (v.m3_used, v.sor_pct, v.occupancy_pct, v.source) == (Decimal("3400.50"), Decimal("68.0"),
                                                                  Decimal("68.0"), "entered")


def _eligible_setup(services, sup):
    services.issuance.ensure_office_key()
    services.plp.save_tps(sup, "MTI1", "MTI", "PT MTI", "IDTPP", 1000)


def test_shed_over_the_standard_is_a_ground_though_the_yard_is_not(services, users, sup):
    """Seed 004, 1.a: "YOR atau SOR" — either ratio at or above the standard."""
    _eligible_setup(services, sup)
    services.plp.save_tps(sup, "KOJA", "K", "PT K", "IDTPP", 1000, capacity_m3=Decimal("1000"),
                          occupancy_teu_entered=100, occupancy_m3_entered=Decimal("650"))
    d = services.plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                                      [("CSQU3054383", "40")]))
    assert d.case.state == "SUBMITTED" and d.registry_yor == (Decimal("65.00"), None)


def test_without_registry_figures_the_stated_yor_is_taken(services, users, sup):
    _eligible_setup(services, sup)
    services.plp.save_tps(sup, "KOJA", "K", "PT K", "IDTPP", 1000)  # nothing stored, nothing reported
    d = services.plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                                      [("CSQU3054383", "40")], yor="70"))
    assert d.case.state == "SUBMITTED" and d.registry_yor[0] is None


def test_threshold_per_port_comes_from_the_rule_set(services, users, sup, tmp_path):
    """A corrected rule-set file (config rulesets_dir) raises Tanjung Priok to 70 %; other ports keep the
    default. No figure lives in code."""
    from workstation.rules.ruleset import SHIPPED_DIR

    src = SHIPPED_DIR / "plp" / "PER-6-BC-2015.toml"
    corrected = tmp_path / "rulesets" / "plp"
    corrected.mkdir(parents=True)
    shutil.copy(src, corrected / src.name)
    text = (corrected / src.name).read_text(encoding="utf-8").replace("IDTPP = 65", "IDTPP = 70")
    (corrected / src.name).write_text(text, encoding="utf-8")
    services.ctx.settings = with_overrides(services.ctx.settings, rulesets_dir=tmp_path / "rulesets")

    _eligible_setup(services, sup)
    services.plp.save_tps(sup, "KOJA", "K", "PT K", "IDTPP", 1000, occupancy_teu_entered=680)
    services.plp.save_tps(sup, "BLW1", "Belawan 1", "PT B", "IDBLW", 1000, occupancy_teu_entered=680)
    by_code = {v.code: v for v in services.plp.tps_overview()}
    assert (by_code["KOJA"].threshold_pct, by_code["BLW1"].threshold_pct) == (70, 65)
    assert not by_code["KOJA"].over_threshold and by_code["BLW1"].over_threshold
    d = services.plp.import_request(users[Role.OFFICER], demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD",
                                                                      [("CSQU3054383", "40")], yor="68"))
    assert d.refusals == ("YOR_BELOW_THRESHOLD",)


def test_csv_import_is_idempotent_and_counts_changes(services, sup, tmp_path):
    plp = services.plp
    r = plp.import_tps(sup, sample_tps_csv())
    assert (r.added, r.changed, r.unchanged) == (5, 0, 0)
    assert plp.import_tps(sup, sample_tps_csv().encode("utf-8")) == type(r)(0, 0, 5)
    changed = sample_tps_csv().replace("KOJA,TPK Koja,PT Pelabuhan Indonesia II (TPK Koja),IDTPP,8000,,LCL,5900,",
                                       "KOJA,TPK Koja,PT Pelabuhan Indonesia II (TPK Koja),IDTPP,8000,,LCL,6100,")
    assert plp.import_tps(sup, changed) == type(r)(0, 1, 4)
    views = {v.code: v for v in plp.tps_overview()}
    assert views["KOJA"].teu_used == 6100 and views["MTI1"].facilities == ("DG", "LCL")
    assert views["GRAHA"].sor_pct == Decimal("52.7")  # 9,500 of 18,000 m³
    assert views["NPCT1"].source == "none"


@pytest.mark.parametrize(("text", "field"), [
    ("code,name\nKOJA,K\n", "tps.csv:1"),
    (FIXTURES.joinpath("tps_bad_capacity.csv").read_text(encoding="utf-8"), "tps.csv:3:capacity_teu"),
    ("code,name,operator,port,capacity_teu,capacity_m3,facilities,occupancy_teu,occupancy_m3\n"
     "KOJA,K,PT K,IDTPP,100,,,,\nKOJA,K2,PT K,IDTPP,100,,,,\n", "tps.csv:3:code"),
    ("code,name,operator,port,capacity_teu,capacity_m3,facilities,occupancy_teu,occupancy_m3\n"
     "KOJA,K,PT K,IDTPP,100,,,\n", "tps.csv:2"),
    ("code,name,operator,port,capacity_teu,capacity_m3,facilities,occupancy_teu,occupancy_m3\n", "tps.csv"),
    (b"\xff\xfe\x00bad", "tps.csv"),
])
def test_a_bad_csv_names_line_and_column_and_writes_nothing(services, sup, text, field):
    with pytest.raises(InputError) as e:
        services.plp.import_tps(sup, text, source="tps.csv")
    assert e.value.field == field
    assert _count(services, Tps) == 0


def test_stored_container_input_is_checked(services, users, sup, clock):
    plp, officer = services.plp, users[Role.OFFICER]
    plp.save_tps(sup, "KOJA", "K", "PT K", "IDTPP", 1000)
    with pytest.raises(InputError, match="ISO 6346"):
        plp.store_container(officer, "KOJA", "CSQU3054384", "40")
    with pytest.raises(InputError):
        plp.store_container(officer, "KOJA", "CSQU3054383", "30")
    with pytest.raises(InputError):
        plp.store_container(officer, "NOPE", "CSQU3054383", "40")
    with pytest.raises(InputError):  # the clock cannot start in the future
        plp.store_container(officer, "KOJA", "CSQU3054383", "40", first_stored_at=clock.now + dt.timedelta(days=1))
    plp.store_container(officer, "KOJA", "csqu 305438 3", "40", first_stored_at=clock.now - dt.timedelta(days=3))
    assert plp.first_storage("CSQU3054383") == clock.now - dt.timedelta(days=3)
    with pytest.raises(Refusal):
        plp.store_container(officer, "KOJA", "CSQU3054383", "20")
    assert plp.first_storage("MSCU6639870") is None
