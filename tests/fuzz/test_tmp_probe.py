from tests.fuzz.support import run_cli
from tests.fuzz.test_cli_bad_input import cli_db  # noqa
def test_probe(cli_db, tmp_path):
    for argv, stdin in [
        (["--config", "x"*300, "user", "list"], b""),
        (["ecd", "show", "x"*300], b""),
        (["pib", "states", "--state", "\x1b"*300], b""),
        (["ecd", "import", "-"], b"[" * 1000),
        (["report", "daily", "--date", "2026-13-01\n", "--out", "/tmp/x.pdf"], b""),
    ]:
        r = run_cli(*argv, stdin=stdin)
        print(argv[:3], r.code, repr(r.err[:200]), repr(r.out[:100]))
