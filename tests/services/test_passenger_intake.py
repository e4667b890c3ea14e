"""e-CD intake at the counter: import (idempotent by ecd_id), scan of a stored reference or an offline payload,
oral declarations, search and the queue of the day. Bad input at every entry point writes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import AuditEntry, RuleSetRecord
from db.models_passenger import EcdDecisionRow, EcdDeclaration
from tests.services.passenger_support import base_doc, count, counts, green_doc, setup, text
from workstation.domain.codes import Role
from workstation.errors import InputError, NotFound, PermissionDenied, Refusal
from workstation.rules.scan import encode_ecd_offline
from workstation.services.ecd import OralForm


@pytest.fixture
def ecd(services, users):
    setup(services, users)
    return services.ecd


def test_import_stores_the_decision_with_its_rule_set(services, users, ecd):
    r = ecd.import_ecd(users[Role.OFFICER], text(base_doc()))
    v = r.view
    assert r.created and v.created and v.source == "import"
    assert v.state == "RED" and v.lane == "red" and v.case.reasons == ("VALUE_OVER_ALLOWANCE",)
    d = v.decision
    assert d.kind == "INITIAL" and d.ruleset == "PMK-34-2025" and d.total_idr == 2476000
    assert d.record["assessment"]["taxable_usd"] == "700.00"  # the contract JSON, stored
    # The case header keeps only what a queue line shows; the duty is the decision's (the e-CD tables).
    assert v.case.summary == {"flight": "GA881", "name": v.document.declarant.name,
                              "passport": v.document.declarant.passport, "persons": 1}
    assert ecd.queue(v.document.arrival.date).rows[0].total_idr == 2476000
    with services.ctx.db.read() as s:
        rs = s.scalars(select(RuleSetRecord)).all()
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "ecd.open")).all()
    assert [(x.id, x.sha256) for x in rs] == [("PMK-34-2025", d.ruleset_sha256)]
    assert len(audit) == 1 and '"lane":"red"' in audit[0].payload


def test_import_is_idempotent_by_ecd_id(services, users, ecd):
    officer = users[Role.OFFICER]
    first = ecd.import_ecd(officer, text(base_doc()))
    before = counts(services)
    again = ecd.import_ecd(officer, json.dumps(base_doc(), indent=2))  # same document, other spelling
    assert not again.created and again.view.case.id == first.view.case.id
    assert counts(services) == before
    other = base_doc()
    other["goods"][0]["value"] = "100.00"
    with pytest.raises(Refusal) as exc:
        ecd.import_ecd(officer, text(other))
    assert exc.value.code == "ECD_ID_CONFLICT"
    assert counts(services) == before


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["goods"][0].update(value=1200.0), "goods[0].value"),  # a float amount
        (lambda d: d.pop("carrying"), "carrying"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["goods"][0].update(currency="XYZ"), "goods[0].currency"),  # no NDPBM rate
        (lambda d: d["declarant"].update(birth_date="1980-13-01"), "declarant.birth_date"),
    ],
)
def test_bad_documents_name_the_field_and_write_nothing(services, users, ecd, mutate, field):
    doc = base_doc()
    mutate(doc)
    before = counts(services)
    with pytest.raises(InputError) as exc:
        ecd.import_ecd(users[Role.OFFICER], text(doc))
    assert exc.value.field == field
    assert counts(services) == before


def test_not_json_and_outside_the_window(services, users, ecd):
    before = counts(services)
    with pytest.raises(InputError) as exc:
        ecd.import_ecd(users[Role.OFFICER], "{not json", source="x.json")
    assert exc.value.field == "x.json"
    with pytest.raises(Refusal) as exc:
        ecd.import_ecd(users[Role.OFFICER], text(base_doc(submitted_at="2026-11-10T09:00:00+07:00")))
    assert exc.value.code == "OUTSIDE_SUBMISSION_WINDOW"
    assert counts(services) == before


def test_scan_of_a_reference_reads_the_stored_ecd(services, users, ecd):
    officer = users[Role.OFFICER]
    stored = ecd.import_ecd(officer, text(base_doc())).view
    before = counts(services)
    for code in ("ECD:ECD-20261121-000123", "]Q1ECD:ECD-20261121-000123", "ecd:ECD-20261121-000123\r\n"):
        v = ecd.scan(officer, code)
        assert v.case.id == stored.case.id and not v.created
    assert counts(services) == before  # a scan is a read
    with pytest.raises(NotFound) as exc:
        ecd.scan(officer, "ECD:ECD-20261121-999999")
    assert exc.value.field == "scan"


def test_offline_payload_is_stored_on_first_scan_only(services, users, ecd):
    officer = users[Role.OFFICER]
    payload = encode_ecd_offline(text(green_doc()))
    v = ecd.scan(officer, "]Q1" + payload)
    assert v.created and v.source == "scan" and v.state == "GREEN" and v.decision.reasons == ()
    before = counts(services)
    again = ecd.scan(officer, payload)
    assert not again.created and again.case.id == v.case.id
    assert counts(services) == before
    assert ecd.scan(officer, "ECD:ECD-20261121-000200").case.id == v.case.id


@pytest.mark.parametrize(
    ("scan", "needle"),
    [
        ("", "nothing readable"),
        ("hello", "nothing readable"),
        ("CSQU3054383", "container"),
        ("ECD:", "e-CD code not readable"),
        ("ECD1:%%%%", "not base64url"),
        (encode_ecd_offline('{"format": "ecd/1", "ecd_id": "X", "goods": [{"value": 1.5}]}'), "float"),
        (encode_ecd_offline(json.dumps({**green_doc(), "ecd_id": "bad id!"})), "ecd_id"),
    ],
)
def test_bad_scans_say_why_and_write_nothing(services, users, ecd, scan, needle):
    before = counts(services)
    with pytest.raises(InputError) as exc:
        ecd.scan(users[Role.OFFICER], scan)
    assert exc.value.field == "scan" and needle in str(exc.value)
    assert counts(services) == before


def test_only_counter_roles_scan(services, users, ecd):
    with pytest.raises(PermissionDenied):
        ecd.scan(users[Role.INSPECTOR], "ECD:ECD-20261121-000123")
    with pytest.raises(PermissionDenied):
        ecd.import_ecd(users[Role.EXAMINER], text(base_doc()))


def test_queue_by_flight_and_lane_with_counters(services, users, ecd):
    officer = users[Role.OFFICER]
    arrival = {"date": "2026-11-21", "port": "CGK", "carrier": "SQ", "flight": "SQ956", "from_port": "SIN"}
    ecd.import_ecd(officer, text(base_doc("ECD-A")))  # GA881 red
    ecd.import_ecd(officer, text(green_doc("ECD-B")))  # GA881 green
    ecd.import_ecd(officer, text(green_doc("ECD-C", arrival=arrival,
                                           declarant={**base_doc()["declarant"], "name": "Wong Mei Ling",
                                                      "passport": "E7654321", "nationality": "SGP"})))
    ecd.import_ecd(officer, text(green_doc("ECD-D", arrival={**arrival, "date": "2026-11-22"},
                                           submitted_at="2026-11-21T09:00:00+07:00")))  # tomorrow
    q = ecd.queue()
    assert [r.ecd_id for r in q.rows] == ["ECD-A", "ECD-B", "ECD-C"]  # by flight, red first
    assert q.lanes == {"green": 2, "red": 1} and dict(q.flights) == {"GA881": 2, "SQ956": 1}
    assert [r.ecd_id for r in ecd.queue(lane="green").rows] == ["ECD-B", "ECD-C"]
    ga = ecd.queue(flight="ga881")
    assert ga.lanes == {"green": 1, "red": 1} and len(ga.rows) == 2
    assert [r.ecd_id for r in ecd.queue(search="wong").rows] == ["ECD-C"]
    assert [r.ecd_id for r in ecd.search("e7654321")] == ["ECD-C"]
    assert {r.ecd_id for r in ecd.search("SQ956")} == {"ECD-C", "ECD-D"}  # the day ±1
    assert {r.ecd_id for r in ecd.search("budi")} == {"ECD-A", "ECD-B", "ECD-D"}
    assert [r.ecd_id for r in ecd.search("ECD-B")] == ["ECD-B"]
    with pytest.raises(InputError):
        ecd.search("   ")


def _oral(**kw) -> OralForm:
    values = dict(group="over_60", name="Haji Slamet", passport="B1112223", nationality="IDN",
                  birth_date="1950-02-01", port="CGK", flight="GA981",
                  goods=[("Kurma dan oleh-oleh", "150", "USD", True)])
    values.update(kw)
    return OralForm(**values)


def test_oral_declaration_for_eligible_groups(services, users, ecd):
    officer = users[Role.OFFICER]
    v = ecd.record_oral(officer, _oral())
    assert v.source == "oral" and v.oral_group == "over_60" and v.ecd_id == "ORAL-20261121-0001"
    assert v.state == "GREEN" and v.document.arrival.flight == "GA981"
    pilgrim = ecd.record_oral(officer, _oral(group="hajj_regular", birth_date="1990-01-01",
                                             traveller_type="hajj_regular",
                                             goods=[("Oleh-oleh", "3000", "USD", True)]))
    assert pilgrim.ecd_id == "ORAL-20261121-0002" and pilgrim.state == "GREEN"  # regular hajj: exempt
    assert pilgrim.decision.assessment["taxable_usd"] == "0.00"
    with services.ctx.db.read() as s:
        assert s.scalar(select(EcdDeclaration.oral_group).where(EcdDeclaration.ecd_id == pilgrim.ecd_id)) == \
            "hajj_regular"


@pytest.mark.parametrize(
    ("kw", "error", "field"),
    [
        (dict(birth_date="1990-01-01"), Refusal, None),  # not over 60
        (dict(group="hajj_regular"), Refusal, None),  # a passenger, not a regular pilgrim
        (dict(group="tourist"), InputError, "group"),
        (dict(birth_date="01-02-1950"), InputError, "declarant.birth_date"),
        (dict(goods=[("Tas", "12,5x", "USD", True)]), InputError, "goods[0].value"),
        (dict(goods=[("Tas", "100", "XXX", True)]), InputError, "goods[0].currency"),
        (dict(name=""), InputError, "name"),
    ],
)
def test_oral_declaration_refusals_write_nothing(services, users, ecd, kw, error, field):
    before = counts(services)
    with pytest.raises(error) as exc:
        ecd.record_oral(users[Role.OFFICER], _oral(**kw))
    if field:
        assert exc.value.field == field
    else:
        assert exc.value.code == "ORAL_NOT_ALLOWED"
    assert counts(services) == before


def test_one_decision_row_per_import(services, users, ecd):
    for i in range(3):
        ecd.import_ecd(users[Role.OFFICER], text(green_doc(f"ECD-N{i}")))
    assert count(services, EcdDecisionRow) == 3 and count(services, EcdDeclaration) == 3


def test_a_name_no_embedded_font_can_draw_is_refused_at_intake_and_nothing_is_written(services, users, ecd):
    before = counts(services)
    doc = base_doc("ECD-20261121-000777")
    doc["declarant"]["name"] = "ኃይሌ ገብረሥላሴ"  # Ethiopic: no font of the office covers it
    with pytest.raises(InputError) as exc:
        ecd.import_ecd(users[Role.OFFICER], text(doc))
    assert exc.value.code == "UNDRAWABLE_TEXT" and exc.value.field == "declarant.name"
    assert counts(services) == before
    doc["declarant"]["name"] = "Nguyễn Thị Hồng"  # Vietnamese prints (a fallback font covers it)
    assert ecd.import_ecd(users[Role.OFFICER], text(doc)).view.ecd_id == "ECD-20261121-000777"
