"""`workstation scan decode TEXT [--json]`: classify and validate one scanned string (CONTRACTS.md).

Exit status: 0 the text is a valid container number / MRZ / e-CD / PIB aju number; 1 it was read but is not
valid (a wrong check digit, an impossible date, an e-CD that fails its schema — and text of no known kind:
verification failed); the JSON is printed in both cases. 2 the input is unusable (empty, control characters,
too long): one line on stderr naming the field, no JSON. TEXT "-" reads the text from stdin (an MRZ has a
newline in it).
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    scan = subparsers.add_parser("scan", help="scanned strings: decode and validate")
    sub = scan.add_subparsers(dest="scan_command", metavar="ACTION", required=True)
    decode = sub.add_parser(
        "decode",
        help="classify and validate a scanned string (container, MRZ, e-CD, PIB aju; AIM prefix allowed)",
    )
    decode.add_argument("text", metavar="TEXT", help='the scanned text; "-" reads it from stdin')
    decode.add_argument("--json", action="store_true", help="print the decoder's JSON")
    decode.set_defaults(handler=decode_command)


def decode_command(args: argparse.Namespace) -> int:
    import json

    from workstation.errors import InputError
    from workstation.rules.scan import decode_scan, split_aim, unusable_reason

    text = args.text
    if text == "-":
        from workstation import inputs
        from workstation.domain.jsondoc import decode_utf8

        # bounded: a scan is a few hundred characters, never a stream read whole
        text = decode_utf8(inputs.read_file("-", "TEXT", kind="text"), source="TEXT")
        if text.endswith("\n"):
            text = text[:-1]
    _, body = split_aim(text)
    reason = unusable_reason(body)
    if reason is not None:
        raise InputError(f"unusable scan: {reason}", field="TEXT")
    result = decode_scan(text)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, sort_keys=False) + "\n")
    else:
        status = "valid" if result.valid else "INVALID"
        extra = result.detail.get("error")
        sym = f" [{result.symbology}]" if result.symbology else ""
        line = f"{result.kind}{sym}: {result.value.replace(chr(10), ' / ')} — {status}"
        if result.kind in ("pib_aju", "aju") and "office" in result.detail:
            d = result.detail
            line += (f" [office {d['office']} document {d['document_code']} company {d['company']} date {d['date']}"
                     f" sequence {d['sequence']}]" + (" — an aju, not a PIB" if result.kind == "aju" else ""))
        sys.stdout.write(line + (f" ({extra})" if extra else "") + "\n")
    return 0 if result.valid else 1
