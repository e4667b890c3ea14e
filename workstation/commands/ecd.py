"""`workstation ecd …`: passenger e-CD commands. `ecd assess` needs no database.

Other sub-commands (e.g. `ecd import`) hang off the same group: call `add_group(subparsers)` once, then
add parsers to the object it returns (see `register`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_group(subparsers: Any) -> Any:
    """Create the `ecd` command and return its sub-parsers object."""
    parser = subparsers.add_parser(
        "ecd", help="passenger e-CD declarations", description="Passenger customs declarations (e-CD)."
    )
    group = parser.add_subparsers(dest="ecd_command", metavar="SUBCOMMAND")

    def _missing(args: argparse.Namespace) -> int:
        from workstation.domain.errors import ErrorCode
        from workstation.errors import InputError

        choices = ", ".join(sorted(group.choices))
        raise InputError(f"missing sub-command (one of: {choices})", field="ecd", code=ErrorCode.NOT_ONE_OF,
                         params={"options": choices})

    parser.set_defaults(handler=_missing)
    return group


def add_assess(group: Any) -> None:
    p = group.add_parser(
        "assess",
        help="assess one e-CD (ecd/1 JSON) without touching the database",
        description="Assess one e-CD: lane, reasons, referrals, levies. Prints the decision.",
    )
    p.add_argument("file", metavar="FILE", help="ecd/1 JSON file ('-' for standard input)")
    p.add_argument("--rates", metavar="RATES.csv", required=True, help="NDPBM rates CSV")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.add_argument("--rulesets-dir", metavar="DIR", help="directory of corrected rule-set files")
    p.set_defaults(handler=run_assess)


def add_import(group: Any) -> None:
    p = group.add_parser(
        "import",
        help="store e-CDs (idempotent by ecd_id)",
        description="Store ecd/1 documents (pre-arrival) with their lane decision. A file holds one e-CD or a JSON "
        "array of them. Idempotent by ecd_id: a document already stored is left as it is; a different document "
        "under a stored id is refused. A bad file is reported and nothing of it is written. Exit 0 all stored, "
        "1 a refusal, 2 bad input.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="ecd/1 JSON file ('-' for standard input)")
    p.set_defaults(handler=run_import)


def add_states(group: Any) -> None:
    p = group.add_parser(
        "states",
        help="print the e-CD workflow table (action, from states, to state, roles)",
        description="The e-CD counter's state machine as one table: what each role may do in each state. The "
        "screens and the service derive everything from it. Needs no database.",
    )
    p.set_defaults(handler=run_states)


def run_states(args: argparse.Namespace) -> int:
    from workstation.domain.ecd import FLOW

    rows = [("ACTION", "FROM", "TO", "ROLES"), *FLOW.table()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3] + "\n")
    return 0


def register(subparsers: Any) -> None:
    group = add_group(subparsers)
    add_assess(group)
    add_import(group)
    add_states(group)
    add_show(group)


def add_show(group: Any) -> None:
    p = group.add_parser(
        "show", help="the stored e-CD case",
        description='The stored e-CD case. --json prints {"ecd_id", "state", "lane", "reasons", "referrals", '
        '"ruleset", "unit"} (unit is the field unit that created it, or null). Exit 1 when no case '
        "has that ecd_id.")
    p.add_argument("ecd_id", metavar="ECD_ID")
    p.add_argument("--json", action="store_true", help="print the case as JSON")
    p.set_defaults(handler=run_show)


def run_show(args: argparse.Namespace) -> int:
    import json

    from workstation.commands.common import services_from
    from workstation.inputs import one_line

    services = services_from(args)
    v = services.ecd.find(args.ecd_id)
    out = {"ecd_id": v.ecd_id, "state": v.state, "lane": v.lane, "reasons": list(v.decision.reasons),
           "referrals": list(v.decision.referrals), "ruleset": v.decision.ruleset, "unit": v.case.unit_code}
    if args.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(f"{one_line(v.ecd_id)} {v.state} {v.lane.upper()} ({', '.join(out['reasons']) or '-'}) "
                         f"{v.decision.ruleset}{' unit ' + v.case.unit_code if v.case.unit_code else ''}\n")
    return 0


def _read_input(name: str) -> bytes:
    """The bytes of FILE ('-': stdin), bounded (inputs.FILE_LIMITS['json']); InputError naming the file."""
    from workstation import inputs

    return inputs.read_file(name, kind="json")


def run_assess(args: argparse.Namespace) -> int:
    import json

    from workstation import inputs
    from workstation.commands.common import read_csv_text
    from workstation.domain.ecd import ecd_from_obj
    from workstation.domain.errors import ErrorCode
    from workstation.domain.jsondoc import load_json
    from workstation.errors import InputError
    from workstation.rules.ecd import assess
    from workstation.rules.rates import RateTable

    source = inputs.short(args.file)
    obj = load_json(_read_input(args.file), source=source)
    if isinstance(obj, list):
        raise InputError("one e-CD expected, not an array", code=ErrorCode.INVALID_DOCUMENT, field=source,
                         params={"reason": "one e-CD expected, not an array"})
    doc = ecd_from_obj(obj)
    rates = RateTable.from_csv_text(read_csv_text(args.rates), source=inputs.short(args.rates))
    decision = assess(doc, rates, rulesets_dir=args.rulesets_dir)
    if args.json:
        sys.stdout.write(json.dumps(decision.to_json(), indent=2, ensure_ascii=False) + "\n")
        return 0
    a = decision.assessment
    lines = [
        f"e-CD {decision.ecd_id}  rule set {decision.ruleset}",
        f"lane: {decision.lane.value.upper()}",
        f"reasons: {', '.join(decision.reasons) or '-'}",
        f"referrals: {', '.join(decision.referrals) or '-'}",
        f"goods USD {a.goods_usd}  allowance USD {a.allowance_usd}  taxable USD {a.taxable_usd}",
        f"customs value Rp{a.customs_value_idr:,}  BM Rp{a.import_duty_idr:,}  PPN Rp{a.vat_idr:,}  "
        f"PPnBM Rp{a.luxury_tax_idr:,}  PPh Rp{a.income_tax_idr:,}  total Rp{a.total_idr:,}",
    ]
    ex = decision.excise_excess
    if ex.any:
        lines.append(
            f"excise excess (to destroy): cigarettes {ex.cigarettes}, cigars {ex.cigars}, "
            f"sliced tobacco {ex.sliced_tobacco_g} g, alcohol {ex.to_json()['alcohol_l']} L"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _documents(data: bytes, source: str) -> list:
    """One e-CD, or a JSON array of them (errors name the element: `[3].goods[0].value`)."""
    from workstation.domain.ecd import ecd_from_obj
    from workstation.domain.errors import ErrorCode
    from workstation.domain.jsondoc import load_json
    from workstation.errors import InputError

    # The shared reader: duplicate keys, depth, long numbers, UTF-16, control characters refused; BOM dropped.
    obj = load_json(data, source=source)
    if not isinstance(obj, list):
        return [ecd_from_obj(obj)]
    if not obj:
        raise InputError("empty array: no e-CD", field=source, code=ErrorCode.REQUIRED)
    docs = []
    for i, item in enumerate(obj):
        try:
            docs.append(ecd_from_obj(item))
        except InputError as exc:  # the same error, naming the element
            exc.field = f"[{i}].{exc.field}"
            exc.params["field"] = exc.field
            raise
    return docs


def run_import(args: argparse.Namespace) -> int:
    """Each file on its own: a bad file is reported (one line) and skipped; the others are stored."""
    from workstation import inputs
    from workstation.cli import say
    from workstation.commands.common import services_from
    from workstation.errors import InputError, WorkstationError
    from workstation.services.base import cli_actor

    services = services_from(args)
    actor = cli_actor(services.settings)
    worst = 0
    for path in args.files:
        label = inputs.short(path)
        try:
            docs = _documents(_read_input(path), label)
            results = services.ecd.import_documents(actor, docs)
        except WorkstationError as exc:
            where = exc.field if exc.field and exc.field.startswith(label) else f"{label}: {exc.field}" \
                if exc.field else label
            say(f"workstation: {where}: {exc.message}")
            worst = max(worst, 2 if isinstance(exc, InputError) else 1)
            continue
        for r in results:
            v = r.view
            what = "stored" if r.created else "unchanged"
            reasons = ", ".join(v.decision.reasons) or "-"
            sys.stdout.write(f"{inputs.one_line(label)}: {v.ecd_id} {what} {v.lane.upper()} ({reasons}) {v.decision.ruleset}\n")
    return worst
