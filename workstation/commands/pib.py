"""`workstation pib ...`: import declarations (BC 2.0). `pib assess FILE --json` computes the declared and
determined levies, the SPTNP figures and the outcome without touching the database (CONTRACTS.md).
`pib import FILE...` receives PIBs into the red-lane workflow (SKP checks, billing, registration).
Both read pib/1 and the CEISA 4.0 BC 2.0 JSON, detected from the content (workstation/formats).
`pib response CASE_OR_AJU --format ceisa` exports the office's responses to one PIB with CEISA's response
codes (workstation/formats/ceisa.py)."""

from __future__ import annotations

import argparse
import json
import sys


def add_group(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Create the `pib` group and return its action sub-parsers (add `pib import` beside `assess`)."""
    parser = subparsers.add_parser(
        "pib", help="import declarations (PIB, BC 2.0)", description="Import declarations (PIB, BC 2.0)."
    )
    return parser.add_subparsers(dest="pib_action", metavar="ACTION", required=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = add_group(subparsers)
    assess = actions.add_parser(
        "assess",
        help="levies, SPTNP figures and outcome of one PIB (pib/1 or CEISA BC 2.0)",
        description="Compute declared and (if present) determined levies, the BM shortfall, its fine and "
        "the outcome (SPPB, SPTNP, SPTNP+SPPB, SPBL) of a PIB: a pib/1 JSON document or a CEISA 4.0 BC 2.0 "
        "'Kirim Dokumen' JSON document (detected from the content; the same PIB in either format gives the "
        "same result). Touches no database.",
    )
    assess.add_argument("file", metavar="FILE",
                        help="pib/1 or CEISA BC 2.0 JSON document ('-' reads standard input)")
    assess.add_argument("--json", action="store_true", help="print the result as JSON")
    assess.set_defaults(handler=assess_command)
    add_import(actions)
    states = actions.add_parser(
        "states",
        help="the PIB workflow table: action, from states, to state, roles",
        description="What a user may do on a PIB in each state (workstation/domain/pib.py FLOW); the "
        "examiner's and the hangar's screens grey out the rest. --state and --role narrow the table, e.g. "
        "`pib states --state RESEARCH --role examiner`.",
    )
    states.add_argument("--state", metavar="STATE", help="only the rows a case in STATE may take")
    states.add_argument("--role", metavar="ROLE", help="only the rows ROLE may take (examiner, inspector, ...)")
    states.add_argument("--json", action="store_true", help="print as JSON")
    states.set_defaults(handler=states_command)
    add_response(actions)


def add_import(actions: argparse._SubParsersAction) -> None:
    imp = actions.add_parser(
        "import",
        help="receive PIBs, pib/1 or CEISA BC 2.0 (SKP checks, lartas, billing; rejected ones are kept)",
        description="Receive PIBs into the red-lane workflow: pib/1 or CEISA 4.0 BC 2.0 JSON documents, "
        "detected from the content. Each is checked (blocked importer, "
        "BC 1.1, B/L, NDPBM, tariff, completeness): accepted PIBs get a billing code (or are registered "
        "when nothing is due), rejected ones are stored with a rejection response listing every problem. "
        "Exit 0 when every document was accepted, 1 when any was rejected or refused, 2 on bad input.",
    )
    imp.add_argument("files", nargs="+", metavar="FILE", help="pib/1 or CEISA BC 2.0 JSON document(s)")
    imp.add_argument("--as", dest="as_login", required=True, metavar="LOGIN",
                     help="the examiner or supervisor receiving them (issues the responses)")
    imp.add_argument("--json", action="store_true", help="print one JSON object per document")
    imp.set_defaults(handler=import_command)


def read_document(path: str) -> str:
    """The text of FILE ('-': standard input): bounded, UTF-8 (a BOM dropped); an unreadable, oversized or
    non-UTF-8 file is bad input naming it (commands/common.read_document_text)."""
    from workstation.commands.common import read_document_text

    return read_document_text(path)


def assess_command(args: argparse.Namespace) -> int:
    from workstation.domain.pib import LEVY_FIELDS
    from workstation.formats import read_pib
    from workstation.rules.pib import assess_pib

    result = assess_pib(read_pib(read_document(args.file)))
    out = result.contract_json()
    if args.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    cols = ("declared", "determined", "difference")
    lines = [f"PIB {result.aju}  rule set {result.ruleset}", f"{'levy':<20}" + "".join(f"{c:>16}" for c in cols)]
    for name in LEVY_FIELDS:
        cells = ("-" if out[c] is None else f"{out[c][name]:,}" for c in cols)
        lines.append(f"{name:<20}" + "".join(f"{v:>16}" for v in cells))
    lines.append(f"BM shortfall {out['bm_shortfall_idr']:,}  fine {out['fine_idr']:,} ({out['fine_rate_pct']} %)")
    if result.lartas_missing:
        lines.append("lartas permit missing for item(s) " + ", ".join(map(str, result.lartas_missing)))
    lines.append(f"outcome {out['outcome']}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def states_command(args: argparse.Namespace) -> int:
    from workstation import inputs
    from workstation.domain.codes import Role
    from workstation.domain.pib import FLOW

    state = inputs.choice(args.state, "--state", FLOW.states) if args.state else None
    role = inputs.choice(args.role, "--role", [r.value for r in Role], upper=False) if args.role else None
    rows = [(a, f, t, r) for a, f, t, r in FLOW.table()
            if (state is None or state in f.split()) and (role is None or role in r.split())]
    if args.json:
        out = {"states": list(FLOW.states), "final": sorted(FLOW.final),
               "transitions": [{"action": a, "from": f.split(), "to": None if t == "(same)" else t,
                                "roles": r.split()} for a, f, t, r in rows]}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    width = max([len("action"), *(len(a) for a, *_ in rows)])
    lines = [f"{'action':{width}}  {'from':40}  {'to':10}  roles"]
    lines += [f"{a:{width}}  {f:40}  {t:10}  {r}" for a, f, t, r in rows]
    lines.append(f"final: {' '.join(sorted(FLOW.final))}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _intake_json(result) -> dict:
    return {
        "aju": result.aju,
        "state": result.state,
        "accepted": result.accepted,
        "submission": result.submission,
        "unchanged": result.unchanged,
        "problems": [p.as_json() for p in result.problems],
        "billing_code": result.billing_code,
        "billing_total_idr": result.billing_total_idr,
        "registration_number": result.registration_number,
        "documents": list(result.documents),
    }


def import_command(args: argparse.Namespace) -> int:
    from workstation import inputs
    from workstation.cli import say
    from workstation.commands.common import services_from, source_label
    from workstation.domain.money import rupiah_or
    from workstation.errors import WorkstationError

    login = inputs.argument(args.as_login, "--as", max_len=32)  # logins are at most 32 characters
    services = services_from(args)
    actor = services.pib.command_line_actor(login)
    status = 0
    for path in args.files:
        try:
            result = services.pib.import_pib(actor, text=read_document(path), source=source_label(path))
        except WorkstationError as exc:
            # one bad file does not stop the others; the worst outcome decides the exit status
            say(f"workstation: {exc}")
            status = max(status, exc.exit_code)
            continue
        if not result.accepted:
            status = max(status, 1)
        if args.json:
            sys.stdout.write(json.dumps(_intake_json(result), ensure_ascii=False) + "\n")
            continue
        head = f"{result.aju}: {result.state}"
        if result.unchanged:
            head += " (already received, unchanged)"
        elif result.accepted and result.billing_code:
            head += f", billing code {result.billing_code}, {rupiah_or(result.billing_total_idr)}"
        elif result.registration_number:
            head += f", registered {result.registration_number}"
        lines = [head]
        lines += [f"  {p.code.value} {p.field}: {p.message}" for p in result.problems]
        if result.documents:
            lines.append("  issued " + ", ".join(result.documents))
        sys.stdout.write("\n".join(lines) + "\n")
    return status


RESPONSE_FORMATS = ("ceisa",)


def add_response(actions: argparse._SubParsersAction) -> None:
    resp = actions.add_parser(
        "response",
        help="export the office's responses to one PIB as CEISA JSON (rejection, SPJM, SPPB, SPTNP, SPBL, ...)",
        description="Export every response the office issued for one PIB in the shape of CEISA 4.0's "
        "response list ({\"dataRespon\": [...]}) with CEISA's response codes: 02 rejection, 03 SPPB, 05 SPJM, "
        "07 LHP, 13 SPBL, 15 NPD, 20 billing, 27 SPTNP, 80 IP. Reads the database; writes nothing to it.",
    )
    resp.add_argument("case", metavar="CASE_OR_AJU", help="the PIB's aju (26 characters) or its case id")
    resp.add_argument("--format", dest="fmt", choices=RESPONSE_FORMATS, default="ceisa",
                      help="the export format (ceisa, the default)")
    resp.add_argument("--out", metavar="FILE", help="write the JSON to FILE instead of standard output")
    resp.add_argument("--as", dest="as_login", required=True, metavar="LOGIN",
                      help="the examiner, supervisor, inspector or admin asking")
    resp.set_defaults(handler=response_command)


def _responses(detail) -> list:
    """The CEISA responses of one PIB detail (services/pib/views.py PibDetail) in issue order: its issued
    documents (a rejection with its problems, in Bahasa Indonesia) and its billing codes. On one day the
    declared billing comes first (it precedes the SPJM), other billings after the document they belong to."""
    from workstation.formats.ceisa import Response

    problems = {s.response_number: s.problems for s in detail.submissions if s.response_number}
    out = []
    for d in detail.documents:
        messages = tuple((p.code.value, p.message_id) for p in problems.get(d.number, ()))
        out.append((d.issue_date, 0, Response(d.doc_type, d.number, d.issue_date, messages=messages)))
    for b in detail.billings:
        note = f"kode billing {b.code}, {b.kind}, total {b.total_idr} IDR"
        out.append((b.issued_on, -1 if b.kind == "DECLARED" else 1,
                    Response("BILLING", b.code, b.issued_on, note=note)))
    return [r for _, _, r in sorted(out, key=lambda x: (x[0], x[1]))]


def response_command(args: argparse.Namespace) -> int:
    import uuid
    from pathlib import Path

    from workstation import inputs
    from workstation.commands.common import services_from
    from workstation.domain.errors import ErrorCode
    from workstation.errors import InputError
    from workstation.formats.ceisa import responses_json

    login = inputs.argument(args.as_login, "--as", max_len=32)
    ref = inputs.argument(args.case, "CASE_OR_AJU", max_len=40)
    services = services_from(args)
    actor = services.pib.command_line_actor(login)
    try:
        case_id = uuid.UUID(ref)
    except ValueError:
        case_id = services.pib.find(ref)
    detail = services.pib.get(actor, case_id)
    out = responses_json(detail.aju, detail.registration_number, detail.registered_on, _responses(detail))
    text = json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", code=ErrorCode.FILE_UNREADABLE, field="--out",
                             params={"reason": exc.strerror or "error"}) from None
    else:
        sys.stdout.write(text)
    return 0
