"""`workstation print DOCNO` and `workstation verify FILE.pdf|DOCNO` (CONTRACTS.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

VERIFY_HELP = """\
Check an issued document against the office's records: a signed PDF file, a document number, or the
text of a scanned QR code (WSD1|...). Prints one line, STATUS: NUMBER: reason, then the stored key
fields for a person to compare with the paper. Reads the database; writes nothing.

States:
  VALID     issued here, unchanged, not void
  TAMPERED  a check failed; the line names it. A PDF's checks, in order: signature (a valid PAdES
            signature by an office certificate), byte range (the signature covers the whole file),
            payload (the payload in the file matches the stored document), stored hash (the stored
            content still hashes to the sealed hash)
  UNKNOWN   no document with that number here
  VOID      issued here, then voided

Exit status: 0 VALID only; 1 TAMPERED, UNKNOWN or VOID; 2 bad input (a missing or unreadable file, a
malformed number, no database)."""

PRINT_HELP = """\
Render an issued document from its stored content and write it to a file (--out), send it to a CUPS
queue (--printer, else printer.cups_queue) or to the ESC/POS receipt printer (--receipt). The first
print is the original; every later one is marked SALINAN / COPY ke-N, and a void document carries
BATAL / VOID. A reprint never overwrites an existing file: when --out names one, the copy is written
beside it as NAME-reprint-N.pdf (the line printed names the file). A print the printer could not take is
kept in the print queue (--failed lists it, --retry-failed tries again).
Exit status: 0 printed; 1 refused; 2 bad input, or the printer failed (the job is kept)."""


def register(sub) -> None:
    p = sub.add_parser("print", help="render (and send) an issued document; a reprint is marked SALINAN / COPY",
                       description=PRINT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("number", nargs="?", help="document number")
    p.add_argument("--out", metavar="FILE.pdf", help="write the PDF to this file")
    p.add_argument("--printer", metavar="QUEUE", help="CUPS queue (default: printer.cups_queue)")
    p.add_argument("--receipt", action="store_true", help="print on the ESC/POS receipt printer")
    p.add_argument("--retry-failed", action="store_true", help="retry every print kept in the print queue")
    p.add_argument("--failed", action="store_true", help="list the prints kept in the print queue")
    p.set_defaults(handler=print_cmd)
    v = sub.add_parser("verify", help="check an issued document (PDF or number): VALID / TAMPERED / UNKNOWN / VOID; "
                                      "a PDF's checks: signature, byte range, payload, stored hash",
                       description=VERIFY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("target", metavar="FILE.pdf|DOCNO|QR", help="a PDF file, a document number, or the text of a "
                   "scanned QR code (WSD1|…)")
    v.set_defaults(handler=verify_cmd)


def print_cmd(args: argparse.Namespace) -> int:
    from workstation import inputs
    from workstation.commands.common import services_from
    from workstation.errors import InputError
    from workstation.services.base import cli_actor

    services = services_from(args)
    actor = cli_actor(services.settings)
    if args.failed:
        # stored text printed as text: a printer name's or an error's escapes are shown escaped (one_line)
        safe = inputs.one_line
        for job in services.documents.failed_jobs():
            print(f"{safe(job.number)}\t{safe(job.target_kind)}:{safe(job.target)}\tattempts {job.attempts}\t"
                  f"{safe(job.last_error)}")
        return 0
    if args.retry_failed:
        done, failing = services.documents.retry_failed(actor)
        print(f"printed {done}, still failing {failing}")
        return 1 if failing else 0
    if not args.number:
        raise InputError("a document number is required", field="number")
    inputs.argument(args.number, "number", max_len=NUMBER_MAX)
    r = services.documents.print_document(actor, args.number, out=args.out, printer=args.printer,
                                          receipt=args.receipt)
    mark = "original" if r.copy_number == 0 else f"SALINAN / COPY {r.copy_number}"
    print(f"{inputs.one_line(r.number)}: {mark} -> {r.target_kind} {inputs.one_line(r.detail)}")
    return 0


NUMBER_MAX = 80  # a document number (the column's width)


def _is_file(path: str) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL: not a file
        return False


def verify_cmd(args: argparse.Namespace) -> int:
    from printing.payload import PAYLOAD_VERSION
    from workstation import inputs
    from workstation.commands.common import services_from

    # Checked before the database opens: no control or format characters, no line breaks, bounded length
    # (a 300-character argument is a bad document number, not a crash of the file-system call).
    target = inputs.argument(args.target, "target", max_len=4096)
    if target.startswith(PAYLOAD_VERSION + "|"):  # a scanned QR of a paper copy
        kind = "payload"
    elif target.lower().endswith(".pdf") or _is_file(target):
        kind = "pdf"
    else:
        kind = "number"
        target = inputs.argument(target, "DOCNO", max_len=NUMBER_MAX)
    services = services_from(args)
    if kind == "payload":
        result = services.documents.verify_payload(target)
    elif kind == "pdf":
        result = services.documents.verify_pdf(target)
    else:
        result = services.documents.verify_number(target)
    # A forged file's fields are whatever its maker wrote: every line through one_line (escapes shown, never
    # sent to the terminal), even though issued content has no control characters (printing.content).
    print(inputs.one_line(result.line(), limit=2000))
    # The stored key fields, so a person can compare a paper copy (and see what a forged file claims to be).
    if result.fields:
        print("issued / diterbitkan:")
        for label, value in result.fields:
            print(f"  {inputs.one_line(label)}: {inputs.one_line(value, limit=2000)}")
    return result.exit_code
