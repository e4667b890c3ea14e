"""EcdView.release_blocker_codes: the one rule for "not releasable yet", which the service's refusal (English,
`release_blockers`) and the counter's panel (UI language) both say. Views built by hand: no database."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from workstation.domain.ecd import ASSESSED, BILLED, GREEN, INSPECTING, PAID, RED
from workstation.services.cases import CaseView
from workstation.services.ecd.views import (
    NOT_REASSESSED,
    REFERRAL_MISSING,
    UNBILLED,
    UNPAID,
    BillingView,
    DecisionView,
    EcdView,
    ReferralView,
    ReleaseBlocker,
)

AT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
BILL = "704030026000123"


def ecd_view(state: str, *, total_idr: int = 0, referrals: tuple[str, ...] = (), handed: tuple[str, ...] = (),
             billed: bool = False) -> EcdView:
    """A view in `state` whose current decision assessed `total_idr` rupiah and referred `referrals`; `handed`
    are the referrals recorded; `billed` gives it a billing."""
    lane = "green" if state == GREEN else "red"
    case = CaseView(uuid.uuid4(), "ECD", "ECD-1", state, lane, (), (), 3, AT.date(), AT, None, {})
    decision = DecisionView(1, "INITIAL", lane, (), referrals, "ecd-2025", "0" * 64, total_idr, {}, None, AT,
                            "", None)
    handed_over = tuple(ReferralView(code, "BARANTIN", "Andi", (), None, None, None, f"BA-{code}", AT)
                        for code in handed)
    billing = BillingView(BILL, total_idr, {}, "BILL-1", AT) if billed else None
    return EcdView(case=case, ecd_id="E1", source="scan", document=None, oral_group=None,  # type: ignore[arg-type]
                   decision=decision, decisions=(decision,), findings=(), excise_count=None,
                   referrals=handed_over, billing=billing, payment=None, documents=())


@pytest.mark.parametrize("state", [GREEN, ASSESSED, PAID])
def test_nothing_blocks_a_settled_case(state):
    v = ecd_view(state, total_idr=2476000 if state == PAID else 0, referrals=("QUARANTINE",),
                 handed=("QUARANTINE",))
    assert v.release_blocker_codes() == [] and v.release_blockers() == []


def test_each_blocker_with_its_subject_in_order():
    v = ecd_view(RED, total_idr=2476000, referrals=("QUARANTINE", "ENFORCEMENT", "PIBK"), handed=("ENFORCEMENT",))
    assert v.release_blocker_codes() == [
        ReleaseBlocker(UNBILLED, 2476000),
        ReleaseBlocker(REFERRAL_MISSING, "QUARANTINE"),
        ReleaseBlocker(REFERRAL_MISSING, "PIBK"),
        ReleaseBlocker(NOT_REASSESSED, None),
    ]
    assert v.release_blockers() == ["Rp2,476,000 assessed: reassess and bill before release",
                                    "QUARANTINE not recorded", "PIBK not recorded",
                                    "the inspection is not reassessed"]


@pytest.mark.parametrize(("state", "billed", "expected"), [
    (BILLED, True, [ReleaseBlocker(UNPAID, BILL)]),
    (BILLED, False, [ReleaseBlocker(UNPAID, None)]),
    (GREEN, False, [ReleaseBlocker(UNBILLED, 2476000)]),  # cleared to green with duties, never billed
    (PAID, True, []),
    (INSPECTING, False, [ReleaseBlocker(UNBILLED, 2476000), ReleaseBlocker(NOT_REASSESSED, None)]),
])
def test_duties_block_until_paid(state, billed, expected):
    assert ecd_view(state, total_idr=2476000, billed=billed).release_blocker_codes() == expected


def test_the_english_refusal_words_every_code():
    assert ecd_view(BILLED, total_idr=5, billed=True).release_blockers() == [f"billing {BILL} is not paid"]
    assert ecd_view(BILLED, total_idr=5).release_blockers() == ["billing is not paid"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_counter_words_every_code(lang):
    """The counter's panel says each blocker in the UI language (none shown as its bare code)."""
    from screens.passenger import release_blockers
    from workstation.i18n import Translator

    tr = Translator(lang)
    views = [ecd_view(BILLED, total_idr=5, billed=True), ecd_view(RED, total_idr=2476000, referrals=("PIBK",))]
    said = [line for v in views for line in release_blockers(tr, v)]
    codes = [b.code for v in views for b in v.release_blocker_codes()]
    assert sorted(set(codes)) == sorted({UNPAID, UNBILLED, REFERRAL_MISSING, NOT_REASSESSED})
    assert len(said) == len(codes) and not set(said) & set(codes)
    assert said[0] == tr("billing {code} is not paid", code=BILL)
    assert "PIBK" in said[2] and "2.476.000" in said[1]
