"""printing/ is pure: it knows nothing of the database layer and nothing of Textual (ENGINEERING.md)."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "printing.content",
    "printing.daily_report",
    "printing.fmt",
    "printing.output",
    "printing.payload",
    "printing.qr",
    "printing.receipt",
    "printing.render",
    "printing.samples",
    "printing.seal",
    "printing.signing",
    "printing.text",
    "printing.verify",
]


def test_no_db_or_textual_imports():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('db', 'textual', 'screens', 'sqlalchemy'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lightweight_modules_do_not_pull_reportlab():
    # The verifier and the payload parser run on `workstation verify`; they should start fast.
    code = "import sys, printing.verify, printing.payload, printing.seal; print('reportlab' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
