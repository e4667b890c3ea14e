"""`workstation plp ...`: moving uncleared imports between TPS. `plp check FILE --json` prints the
eligibility of one request; exit 1 when it is not eligible (the JSON is still printed). A request is a plp/1
document or a TPS Online PLP request (`header` + `detil`), detected from its content
(workstation/formats/tpsonline.py). `plp import FILE…` registers requests; `plp response REFERENCE` writes the
office's approval or refusal as the TPS Online PLP response; `plp tps import FILE` / `plp tps list` keep the TPS
registry; `plp states` prints the workflow's table: what each role may do on a request in each state."""

from __future__ import annotations

import argparse
import json
import sys


def add_group(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Create the `plp` group and return its action sub-parsers (add `plp import` beside `check`)."""
    parser = subparsers.add_parser(
        "plp",
        help="warehouse moves of uncleared imports (PLP)",
        description="Moves of uncleared imports between temporary storage warehouses (PLP).",
    )
    return parser.add_subparsers(dest="plp_action", metavar="ACTION", required=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = add_group(subparsers)
    formats = ("A request is a plp/1 JSON document or a TPS Online PLP request (\"header\" + "
               "\"detil\", dd-MM-yyyy dates, numeric kodeAlasanPlp), detected from its content. TPS Online names no "
               "port: --port, else the origin TPS's port in the registry, else the office's port.")
    check = actions.add_parser(
        "check",
        help="eligibility of one request (plp/1 or TPS Online)",
        description="Check a PLP request against the PLP rules. Exit 0 eligible, 1 not eligible, 2 bad input. "
        + formats,
    )
    check.add_argument("file", metavar="FILE", help="plp/1 or TPS Online JSON ('-' reads standard input)")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.add_argument("--port", metavar="LOCODE", help="port of a TPS Online request (UN/LOCODE, e.g. IDTPP)")
    check.set_defaults(handler=check_command)
    imp = actions.add_parser(
        "import",
        help="register requests, plp/1 or TPS Online (each kept, with its refusals if any)",
        description="Register PLP requests in the database. An eligible request waits for the officer's "
        "decision; one that is not is kept as REJECTED with its refusals and a refusal letter. A malformed "
        "file is reported and skipped (exit 2); the others are stored. " + formats,
    )
    imp.add_argument("files", nargs="+", metavar="FILE", help="plp/1 or TPS Online JSON ('-' reads standard input)")
    imp.add_argument("--port", metavar="LOCODE", help="port of TPS Online requests (UN/LOCODE, e.g. IDTPP)")
    imp.set_defaults(handler=import_command)
    resp = actions.add_parser(
        "response",
        help="the approval or refusal of a request as the TPS Online PLP response (JSON)",
        description="Write the office's answer to a decided request as the TPS Online PLP response: the API's "
        "envelope with data.responPlp[0] = header (nomorPlp, tanggalPlp, alasanReject, …), kontainer[] and "
        "kemasan[] with flagSetuju Y (approved) or T. Dates dd-MM-yyyy. An approved, moving or closed request "
        "answers with its PLP number; a rejected one with its refusals. Exit 1 when the request is not decided "
        "yet (or was cancelled).",
    )
    resp.add_argument("reference", metavar="REFERENCE", help="request reference (PLP-yyyymmdd-n) or PLP number")
    resp.add_argument("--out", metavar="FILE", help="write the JSON to FILE instead of standard output")
    resp.set_defaults(handler=response_command)

    states = actions.add_parser(
        "states",
        help="the PLP workflow table: action, from states, to state, roles",
        description="What a user may do on a PLP request in each state (workstation/domain/plp.py FLOW); "
        "the warehouse screen greys out the rest.",
    )
    states.add_argument("--json", action="store_true", help="print as JSON")
    states.set_defaults(handler=states_command)

    tps = actions.add_parser("tps", help="the TPS registry (warehouses, capacity, occupancy)",
                             description="The office's register of temporary storage warehouses (TPS).")
    tps_actions = tps.add_subparsers(dest="plp_tps_action", metavar="ACTION", required=True)
    tps_imp = tps_actions.add_parser(
        "import",
        help="add or update TPS from a CSV file",
        description="CSV header: code,name,operator,port,capacity_teu,capacity_m3,facilities,occupancy_teu,"
        "occupancy_m3 (facilities LCL;DG;COLD; empty occupancy = computed from stored containers). All or "
        "nothing; importing the same file again changes nothing.",
    )
    tps_imp.add_argument("file", metavar="FILE", help="CSV file ('-' reads standard input)")
    tps_imp.set_defaults(handler=tps_import_command)
    tps_list = tps_actions.add_parser("list", help="the TPS with their occupancy (YOR / SOR) and threshold")
    tps_list.add_argument("--json", action="store_true", help="print as JSON")
    tps_list.set_defaults(handler=tps_list_command)


def check_command(args: argparse.Namespace) -> int:
    from workstation.commands.pib import read_document
    from workstation.formats.tpsonline import read_plp_request
    from workstation.rules.plp import check_plp

    result = check_plp(read_plp_request(read_document(args.file), port=args.port))
    out = result.contract_json()
    if args.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(
            f"eligible: {'yes' if result.eligible else 'no'}  (rule set {result.ruleset}, "
            f"YOR threshold {result.yor_threshold_pct} %)\n"
            f"reasons: {', '.join(out['reasons']) or '-'}\n"
            f"refusals: {', '.join(out['refusals']) or '-'}\n"
        )
        if result.invalid_containers:
            sys.stdout.write(f"invalid container numbers: {', '.join(result.invalid_containers)}\n")
    return 0 if result.eligible else 1


def import_command(args: argparse.Namespace) -> int:
    """Register requests one by one: a malformed file is reported and skipped; the others are stored."""
    from workstation import inputs
    from workstation.cli import say
    from workstation.commands.common import services_from, source_label
    from workstation.commands.pib import read_document
    from workstation.errors import WorkstationError
    from workstation.services.base import cli_actor

    services = services_from(args)
    actor = cli_actor(services.settings)
    failed = 0
    for path in args.files:
        label = inputs.short(path)
        try:
            d = services.plp.import_request(actor, read_document(path), source=source_label(path), port=args.port)
        except WorkstationError as exc:
            say(f"workstation: {label}: {exc}")
            failed = max(failed, exc.exit_code)  # 2 bad input, 1 a refusal (the worst decides)
            continue
        refusals = f" ({', '.join(d.refusals)})" if d.refusals else ""
        sys.stdout.write(f"{inputs.one_line(label)}: {d.case.reference} {d.case.state}{refusals}\n")
    return failed


def response_command(args: argparse.Namespace) -> int:
    """The TPS Online response of a decided request (approved / moving / closed, or rejected)."""
    from workstation import inputs
    from workstation.commands.common import services_from
    from workstation.domain.errors import ErrorCode
    from workstation.domain.plp import LineState, PlpState
    from workstation.errors import Refusal
    from workstation.formats.tpsonline import LineOutcome, response_document

    services = services_from(args)
    case_id = services.plp.find(inputs.argument(args.reference, "reference"))
    detail = services.plp.get(case_id)
    state = detail.case.state
    approved_states = (PlpState.APPROVED, PlpState.MOVING, PlpState.CLOSED)
    if state not in (*approved_states, PlpState.REJECTED):
        raise Refusal(f"{detail.case.reference} is {state}: no decision to answer",
                      code=ErrorCode.INVALID_STATE,
                      params={"action": "export the TPS Online response of", "state": state})
    lines = [LineOutcome(ln.kind, ln.state in (LineState.APPROVED, LineState.OUT, LineState.IN), ln.reason)
             for ln in detail.lines]
    doc = response_document(services.plp.received(case_id), reference=detail.case.reference,
                            approved=state in approved_states, plp_number=detail.plp_number,
                            plp_date=detail.plp_date, lines=lines, refusals=detail.refusals,
                            issued_at=services.ctx.now().astimezone(services.settings.zone))
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            from workstation.errors import InputError

            raise InputError(f"cannot write: {exc.strerror}", code=ErrorCode.FILE_UNREADABLE, field=args.out,
                             params={"reason": exc.strerror or type(exc).__name__}) from None
    else:
        sys.stdout.write(text)
    return 0


def tps_import_command(args: argparse.Namespace) -> int:
    from workstation import inputs
    from workstation.commands.common import read_csv_text, services_from, source_label
    from workstation.services.base import cli_actor

    text = read_csv_text(args.file)  # bounded, UTF-8, no control characters: before the database is opened
    services = services_from(args)
    r = services.plp.import_tps(cli_actor(services.settings), text, source=source_label(args.file))
    sys.stdout.write(f"{inputs.one_line(inputs.short(args.file))}: {r.added} added, {r.changed} changed, "
                     f"{r.unchanged} unchanged\n")
    return 0


def tps_list_command(args: argparse.Namespace) -> int:
    from workstation.commands.common import services_from

    def num(d):
        return None if d is None else format(d, "f")

    rows = services_from(args).plp.tps_overview()
    if args.json:
        out = [{"code": v.code, "name": v.name, "operator": v.operator, "port": v.port,
                "capacity_teu": v.capacity_teu, "teu_used": v.teu_used, "yor_pct": num(v.yor_pct),
                "capacity_m3": num(v.capacity_m3), "m3_used": num(v.m3_used), "sor_pct": num(v.sor_pct),
                "threshold_pct": num(v.threshold_pct), "over_threshold": v.over_threshold,
                "facilities": list(v.facilities), "source": v.source} for v in rows]
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    def pct(p, limit):  # "!" marks a ratio at or above the port's standard
        return "-" if p is None else f"{num(p)}{'!' if p >= limit else ' '}"

    sys.stdout.write(f"{'TPS':8} {'TEU':>13} {'YOR %':>7} {'m3':>17} {'SOR %':>7} {'limit':>5}  facilities\n")
    for v in rows:
        teu = f"{v.teu_used}/{v.capacity_teu}" if v.capacity_teu else "-"
        m3 = f"{num(v.m3_used) or '?'}/{num(v.capacity_m3)}" if v.capacity_m3 else "-"
        sys.stdout.write(f"{v.code:8} {teu:>13} {pct(v.yor_pct, v.threshold_pct):>7} {m3:>17} "
                         f"{pct(v.sor_pct, v.threshold_pct):>7} {num(v.threshold_pct):>5}  "
                         f"{','.join(v.facilities) or '-'}\n")
    return 0


def states_command(args: argparse.Namespace) -> int:
    from workstation.domain.plp import FLOW

    rows = FLOW.table()
    if args.json:
        out = {"states": list(FLOW.states), "final": sorted(FLOW.final),
               "transitions": [{"action": a, "from": f.split(), "to": None if t == "(same)" else t,
                                "roles": r.split()} for a, f, t, r in rows]}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    width = max(len(a) for a, *_ in rows)
    sys.stdout.write(f"{'action':{width}}  {'from':24}  {'to':10}  roles\n")
    for action, src, dst, roles in rows:
        sys.stdout.write(f"{action:{width}}  {src:24}  {dst:10}  {roles}\n")
    sys.stdout.write(f"final: {' '.join(sorted(FLOW.final))}\n")
    return 0
