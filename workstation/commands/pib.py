"""`workstation pib ...`: import declarations (BC 2.0). `pib assess FILE --json` computes the declared and
determined levies, the SPTNP figures and the outcome without touching the database (CONTRACTS.md).
`pib import FILE...` receives pib/1 documents into the red-lane workflow (SKP checks, billing, registration)."""

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
        help="levies, SPTNP figures and outcome of one pib/1 document",
        description="Compute declared and (if present) determined levies, the BM shortfall, its fine and "
        "the outcome (SPPB, SPTNP, SPTNP+SPPB, SPBL) of a pib/1 JSON document. Touches no database.",
    )
    assess.add_argument("file", metavar="FILE", help="pib/1 JSON document ('-' reads standard input)")
    assess.add_argument("--json", action="store_true", help="print the result as JSON (CONTRACTS.md)")
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


def add_import(actions: argparse._SubParsersAction) -> None:
    imp = actions.add_parser(
        "import",
        help="receive pib/1 documents (SKP checks, lartas, billing; rejected ones are kept)",
        description="Receive pib/1 documents into the red-lane workflow. Each is checked (blocked importer, "
        "BC 1.1, B/L, NDPBM, tariff, completeness): accepted PIBs get a billing code (or are registered "
        "when nothing is due), rejected ones are stored with a rejection response listing every problem. "
        "Exit 0 when every document was accepted, 1 when any was rejected or refused, 2 on bad input.",
    )
    imp.add_argument("files", nargs="+", metavar="FILE", help="pib/1 JSON document(s)")
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
    from workstation.domain.pib import LEVY_FIELDS, parse_pib
    from workstation.rules.pib import assess_pib

    result = assess_pib(parse_pib(read_document(args.file)))
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
