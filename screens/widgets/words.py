"""Status words on screen: one table for the whole app (#12 item 1).

Stored codes (states, lanes, roles, findings, seal conditions, barrier states, document kinds…) are never
translated; the words beside them are. `word(tr, "ecd_state", "RELEASED")` gives "dikeluarkan" in Indonesian,
"released" in English; `coded(...)` gives "dikeluarkan [RELEASED]" where the officer needs the code too (reason
and referral codes are shown exactly as DOMAIN.md spells them, with the translated words beside them). An
unknown code is shown as itself, so a new state never disappears from a screen."""

from __future__ import annotations

from collections.abc import Callable

from workstation.i18n import N_

Tr = Callable[..., str]

WORDS: dict[str, dict[str, str]] = {
    "role": {
        "officer": N_("counter officer"), "inspector": N_("inspector"), "examiner": N_("examiner"),
        "supervisor": N_("supervisor"), "admin": N_("administrator"),
    },
    "lane": {"green": N_("green lane"), "red": N_("red lane"), "GREEN": N_("green lane"), "RED": N_("red lane"),
             "-": N_("not decided yet")},
    "traveller": {
        "passenger": N_("passenger"), "crew": N_("crew"), "hajj_regular": N_("regular hajj pilgrim"),
        "hajj_special": N_("special hajj pilgrim"),
    },
    "ecd_state": {
        "GREEN": N_("green lane: approve release"), "RED": N_("red lane: inspect"), "INSPECTING": N_("inspecting"),
        "ASSESSED": N_("assessed, nothing to pay"), "BILLED": N_("billed, waiting for payment"), "PAID": N_("paid"),
        "RELEASED": N_("released"),
    },
    "pib_state": {
        "REJECTED": N_("rejected"), "BILLED": N_("billed, waiting for payment"),
        "SPJM": N_("red lane (SPJM): waiting for goods readiness"), "READY": N_("goods ready: waiting for the IP"),
        "INSPECTION": N_("under inspection: waiting for the LHP"), "RESEARCH": N_("research and determination"),
        "SPBL": N_("waiting for the lartas permit"), "SPTNP": N_("SPTNP: waiting for payment"),
        "SPPB": N_("release approved"), "RELEASED": N_("released at the gate"),
    },
    # the same states in a queue column, short enough for 80 columns (the case view says "pib_state" and the code)
    "pib_state_short": {
        "REJECTED": N_("PIB rejected"), "BILLED": N_("awaiting payment"), "SPJM": N_("awaiting goods"),
        "READY": N_("awaiting the IP"), "INSPECTION": N_("in inspection"), "RESEARCH": N_("in research"),
        "SPBL": N_("awaiting the permit"), "SPTNP": N_("SPTNP unpaid"), "SPPB": N_("SPPB issued"),
        "RELEASED": N_("goods released"),
    },
    "plp_state": {
        "SUBMITTED": N_("submitted"), "APPROVED": N_("approved"), "MOVING": N_("moving"), "CLOSED": N_("closed"),
        "REJECTED": N_("rejected"), "CANCELLED": N_("cancelled"),
    },
    "plp_line": {
        "PENDING": N_("waiting"), "APPROVED": N_("approved"), "REJECTED": N_("rejected"), "OUT": N_("left origin"),
        "IN": N_("arrived"), "CANCELLED": N_("cancelled"),
    },
    "document": {"ISSUED": N_("issued"), "VOID": N_("void")},
    "approval": {"PENDING": N_("waiting"), "APPROVED": N_("approved"), "REFUSED": N_("refused"),
                 "WITHDRAWN": N_("withdrawn"), "FAILED": N_("failed")},
    "approval_kind": {"ECD_CLEAR": N_("Clear to green"), "DOCUMENT_VOID": N_("Void document"),
                      "GATE_OVERRIDE": N_("Gate override")},
    "unit_state": {"OK": N_("in contact"), "STALE": N_("not heard of for 24 h"), "NEVER": N_("never synced"),
                   "REVOKED": N_("revoked")},
    "finding": {
        "FOUND": N_("found as declared"), "UNDECLARED": N_("undeclared"), "NOTHING": N_("nothing found"),
        "MISDECLARED_VALUE": N_("value misdeclared"), "MISDECLARED_HS": N_("HS code misdeclared"),
        "PROHIBITED": N_("prohibited goods"), "EXCISE_OVER": N_("excise goods over the allowance"),
        "MISSING": N_("missing"), "EXCESS": N_("excess"), "MISMATCH": N_("not as declared"),
    },
    "ecd_finding": {"FOUND": N_("found"), "NOT_FOUND": N_("not found"), "UNDECLARED": N_("undeclared")},
    "oral_group": {"over_60": N_("over 60 years old"), "disabled": N_("with a disability"),
                   "hajj_regular": N_("regular hajj pilgrim"), "vvip": "VVIP"},
    "payment_channel": {"CASH": N_("cash"), "CARD": N_("card"), "BANK": N_("bank transfer"), "QRIS": "QRIS"},
    "lane_short": {"red": N_("red"), "green": N_("green")},
    "gate": {"OPEN": N_("OPEN"), "SHUT": N_("SHUT"), "OVERRIDE": N_("OVERRIDE")},
    "plp_move": {"OUT": N_("Gate-out"), "IN": N_("Gate-in")},
    "seal": {"intact": N_("intact"), "broken": N_("broken"), "missing": N_("missing"), "none": N_("no seal"),
             "replaced": N_("replaced")},
    "barrier": {"open": N_("open"), "closed": N_("closed"), "unknown": N_("unknown"), "opening": N_("opening"),
                "closing": N_("closing"), "fault": N_("fault"), "-": N_("unknown")},
    "device": {"connected": N_("connected"), "disconnected": N_("disconnected"), "reconnecting": N_("reconnecting"),
               "ok": N_("ok"), "error": N_("error"), "starting": N_("starting"), "stopped": N_("stopped"),
               "not started": N_("not started")},
}


def word(tr: Tr, group: str, code: object) -> str:
    """The translated word for `code` in `group` (see WORDS); the code itself when the table has no word."""
    text = "" if code is None else str(code)
    label = WORDS.get(group, {}).get(text)
    return tr(label) if label else text


def coded(tr: Tr, group: str, code: object) -> str:
    """"word [CODE]": the translated word with the code beside it; the code alone when there is no word or the
    word is the code itself ("QRIS", not "QRIS [QRIS]")."""
    text = "" if code is None else str(code)
    label = WORDS.get(group, {}).get(text)
    said = tr(label) if label else text
    return f"{said} [{text}]" if said != text else text


def day(value: object) -> str:
    """A date as every screen shows it: DD-MM-YYYY ("-" when None); a datetime shows its date part (convert it
    to the office's zone first)."""
    if value is None:
        return "-"
    strftime = getattr(value, "strftime", None)
    return strftime("%d-%m-%Y") if strftime else str(value)
