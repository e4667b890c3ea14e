"""The sync API over real HTTP (uvicorn on a free local port, in a thread: the app, its signature checks and the
client exactly as a unit uses them) and bundle files; bad input of every kind is refused with a clear message
and nothing is applied."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import func, select

from db.models import Case
from db.models_sync import SyncBundle, SyncChange
from tests.conftest import PASSWORD
from tests.services.passenger_support import green_doc, text
from workstation.domain.codes import Role
from workstation.errors import Refusal
from workstation.sync import protocol
from workstation.sync.client import HttpTransport
from workstation.sync.unit import UnitSync


def count(db, model, *where):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def api(url):
    with httpx.Client(base_url=url) as client:
        yield client


@pytest.fixture
def unit(central, url, make_unit):
    token = central.sync.add_unit(central.users[Role.ADMIN], "PLB01", "Pos Entikong")
    node = make_unit("PLB01")
    node.sync = UnitSync(node.ctx)
    node.sync.enrol(HttpTransport(url), token, url)
    node.key = node.sync.key("PLB01")
    node.transport = HttpTransport(url, unit="PLB01", key=node.key)
    node.officer = node.services.auth.login("siti", PASSWORD)
    return node


def test_push_and_pull_over_http(central, unit):
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000301")))
    summary = unit.sync.sync(unit.transport)
    assert summary.pushed > 0 and summary.pending == 0
    assert count(central.db, Case, Case.reference == "ECD-20261121-000301") == 1


def test_a_forged_key_is_refused(central, unit, url):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = HttpTransport(url, unit="PLB01", key=Ed25519PrivateKey.generate())
    with pytest.raises(Refusal) as exc:
        forged.state(1)
    assert exc.value.code == "SYNC_BAD_SIGNATURE" and "PLB01" in exc.value.message


def test_an_unknown_or_revoked_unit_is_refused_and_nothing_applied(central, unit, url):
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000302")))
    ghost = HttpTransport(url, unit="XX9", key=unit.key)
    with pytest.raises(Refusal) as exc:
        ghost.state(1)
    assert exc.value.code == "SYNC_UNKNOWN_UNIT"
    central.sync.revoke_unit(central.users[Role.ADMIN], "PLB01")
    with pytest.raises(Refusal) as exc:
        unit.sync.sync(unit.transport)
    assert exc.value.code == "SYNC_REVOKED"
    assert count(central.db, Case, Case.kind == "ECD") == 0
    assert count(unit.db, SyncChange, SyncChange.acked_at.is_(None)) > 0  # nothing lost on the unit


def test_a_request_outside_the_time_window_is_refused(central, unit, api):
    target = "/v1/state?epoch=1"
    stamp = str(int(time.time()) - 3600)
    sig = protocol.sign(unit.key, protocol.request_message("GET", target, stamp, "PLB01", b""))
    resp = api.get(target, headers={"x-ws-unit": "PLB01", "x-ws-time": stamp, "x-ws-signature": sig})
    assert resp.status_code == 401 and resp.json()["error"] == "SYNC_STALE_REQUEST"


def test_a_body_that_is_not_json_names_the_problem(central, unit, api):
    body = b"{not json"
    stamp = str(int(time.time()))
    sig = protocol.sign(unit.key, protocol.request_message("POST", "/v1/push", stamp, "PLB01", body))
    resp = api.post("/v1/push", content=body, headers={"x-ws-unit": "PLB01", "x-ws-time": stamp,
                                                        "x-ws-signature": sig})
    assert resp.status_code == 400 and resp.json()["error"] == "INVALID_JSON"


def _unit_bundle(unit, tmp_path):
    path = tmp_path / "to-central.wsb"
    unit.sync.export_bundle(path)
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_bundles_carry_changes_both_ways_and_a_replay_is_refused(central, unit, tmp_path):
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000303")))
    _path, bundle = _unit_bundle(unit, tmp_path)
    result = central.sync.import_bundle(bundle)
    assert result.applied > 0 and count(central.db, Case, Case.reference == "ECD-20261121-000303") == 1
    with pytest.raises(Refusal) as exc:
        central.sync.import_bundle(bundle)
    assert exc.value.code == "SYNC_BUNDLE_REPLAYED"
    assert count(central.db, SyncBundle) == 1
    # central's answer: acknowledgements and its feed; the unit applies it once
    back = central.sync.bundle_for("PLB01")
    summary = unit.sync.import_bundle(json.loads(json.dumps(back)))
    assert summary.pending == 0
    with pytest.raises(Refusal) as exc:
        unit.sync.import_bundle(json.loads(json.dumps(back)))
    assert exc.value.code == "SYNC_BUNDLE_REPLAYED"


@pytest.mark.parametrize("tamper", ["row", "unit", "signature"])
def test_a_tampered_bundle_is_refused_and_nothing_applied(central, unit, tmp_path, tamper):
    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000304")))
    _path, bundle = _unit_bundle(unit, tmp_path)
    if tamper == "row":
        change = next(c for c in bundle["payload"]["changes"] if c["table"] == "cases")
        change["row"]["state"] = "RELEASED"
    elif tamper == "unit":
        bundle["unit"] = "PLB02"
    else:
        bundle["signature"] = bundle["signature"][:-4] + "AAAA"
    with pytest.raises(Refusal) as exc:
        central.sync.import_bundle(bundle)
    assert exc.value.code in ("SYNC_BUNDLE_TAMPERED", "SYNC_UNKNOWN_UNIT")
    assert count(central.db, Case) == 0 and count(central.db, SyncBundle) == 0


def test_bodies_travel_compressed_and_a_gzip_bomb_is_refused(central, unit, api, monkeypatch):
    import gzip

    unit.services.ecd.import_ecd(unit.officer, text(green_doc("ECD-20261121-000305")))
    assert unit.sync.sync(unit.transport).pending == 0  # pushed gzip-compressed, pulled compressed
    target = "/v1/pull?epoch=1&after=0&limit=1000"
    stamp = str(int(time.time()))
    sig = protocol.sign(unit.key, protocol.request_message("GET", target, stamp, "PLB01", b""))
    resp = api.get(target, headers={"x-ws-unit": "PLB01", "x-ws-time": stamp, "x-ws-signature": sig,
                                    "accept-encoding": "gzip"})
    assert resp.status_code == 200 and resp.headers.get("content-encoding") == "gzip"
    bomb = gzip.compress(b"{" + b" " * (protocol.MAX_BODY_BYTES + 10) + b"}")
    stamp = str(int(time.time()))
    sig = protocol.sign(unit.key, protocol.request_message("POST", "/v1/push", stamp, "PLB01", b"{}"))
    resp = api.post("/v1/push", content=bomb, headers={"x-ws-unit": "PLB01", "x-ws-time": stamp,
                                                        "x-ws-signature": sig, "content-encoding": "gzip"})
    assert resp.status_code == 400 and resp.json()["error"] == "FILE_TOO_LARGE"
