"""Every command that reads a file, a JSON document, a scan or an argument answers bad input with exit 2 and
ONE line naming what is wrong, and writes nothing (issue #11 item 8; CONTRACTS.md exit codes).

Two parts per entry point: the named attacks of the issue (each once, deterministic: a regression test for
each), and a small derandomized hypothesis run of mutated inputs that keeps the contract (exit 0/1/2 only, one
line on stderr for 1/2, no traceback, row counts unchanged on exit 2). Commands run in-process through
`workstation.cli.main` for speed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.support import DATA, FIXTURES, RowCounter, assert_contract, run_cli

# --- the inputs ---------------------------------------------------------------------------------------------
ECD = (FIXTURES / "ecd" / "contract_laptop.json").read_bytes()
PIB = (FIXTURES / "pib" / "intake_ok.json").read_bytes()
PLP = (FIXTURES / "plp" / "eligible_yor.json").read_bytes()
RATES = (FIXTURES / "ecd" / "rates.csv").read_bytes()
TARIFF = (DATA / "tariff_sample.csv").read_bytes()
LARTAS = (DATA / "lartas_sample.csv").read_bytes()
MANIFEST = (FIXTURES / "pib" / "manifest.csv").read_bytes()
TPS = (DATA / "plp_tps_sample.csv").read_bytes()
RATES_CSV = str(FIXTURES / "ecd" / "rates.csv")

HOSTILE = ["\x00", "\x07", "\x1b[2J", "\x85", "\u200b", "\u202e", "\u2066", "\ufeff", "\ud800", "\n", "\t",
           "%", "_", "\\", "'", '"', "[/]", "é", "中"]


def with_extra_key(doc: bytes, raw_value: bytes) -> bytes:
    """`doc` (a JSON object) with one more member written verbatim at its start."""
    body = doc.lstrip()
    assert body.startswith(b"{")
    return b'{"zz": ' + raw_value + b", " + body[1:]


def first_string_replaced(doc: bytes, new: str, nth: int = 0) -> bytes:
    """`doc` with its nth string value (depth-first) replaced by `new`, written as JSON (escapes kept)."""
    obj = json.loads(doc)
    count = [0]

    def walk(v):
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, str):
            count[0] += 1
            return new if count[0] - 1 == nth else v
        return v

    return json.dumps(walk(obj)).encode("ascii")


def at_path(doc: bytes, path: tuple, value) -> bytes:
    """`doc` with the member at `path` (keys and indexes) set to `value`, written as ASCII JSON."""
    obj = json.loads(doc)
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(obj).encode("ascii")


# The text field of each format an attacker controls: a passenger's name, an importer's name, a TPS code.
NAME_PATHS = {b"ecd/1": ("declarant", "name"), b"pib/1": ("importer", "name"), b"plp/1": ("origin", "tps")}


DECIMAL_PATHS = {b"ecd/1": ("goods", 0, "value"), b"pib/1": ("items", 0, "cif"), b"plp/1": ("origin", "yor_pct")}


def name_path(doc: bytes) -> tuple:
    return next(p for fmt, p in NAME_PATHS.items() if fmt in doc)


def decimal_path(doc: bytes) -> tuple:
    return next(p for fmt, p in DECIMAL_PATHS.items() if fmt in doc)


def json_attacks(doc: bytes) -> dict[str, bytes]:
    """The issue's bad JSON inputs, built from a valid document of the entry point's format."""
    return {
        "nested 1000 deep": b"[" * 1000 + b"]" * 1000,
        "nested 1000 deep inside the document": with_extra_key(doc, b'{"a": ' * 1000 + b"1" + b"}" * 1000),
        "4301-digit integer": with_extra_key(doc, b"9" * 4301),
        "NaN": with_extra_key(doc, b"NaN"),
        "1e999": with_extra_key(doc, b"1e999"),
        "duplicate key": with_extra_key(doc, b"1").replace(b'"zz"', b'"format"', 1),
        "UTF-16": doc.decode("utf-8").encode("utf-16"),
        "UTF-16 without BOM": doc.decode("utf-8").encode("utf-16-le"),
        "not UTF-8": doc.replace(b'"', b'"\xff', 1),
        "NUL in the name": at_path(doc, name_path(doc), "Budi\x00Santoso"),
        "BEL in the name": at_path(doc, name_path(doc), "Budi\x07"),
        "ESC in the name": at_path(doc, name_path(doc), "\x1b[2JBudi"),
        "C1 CSI in the name": at_path(doc, name_path(doc), "Budi\x9b2J"),
        "U+202E in the name": at_path(doc, name_path(doc), "PT \u202eAMAJ"),
        "U+2066 in the name": at_path(doc, name_path(doc), "PT \u2066AMAJ"),
        "U+200B in the name": at_path(doc, name_path(doc), "Budi\u200bSantoso"),
        "U+FEFF in the name": at_path(doc, name_path(doc), "Budi\ufeffSantoso"),
        "a lone surrogate in the name": at_path(doc, name_path(doc), "Budi\udc80"),
        "a surrogate in a decimal field": at_path(doc, decimal_path(doc), "12\ud800"),
        "a 4301-digit decimal string": at_path(doc, decimal_path(doc), "9" * 4301),
        "a 4301-digit JSON number in a decimal field": at_path(doc, decimal_path(doc), "@N@").replace(
            b'"@N@"', b"9" * 4301),
        "NUL in a string": first_string_replaced(doc, "Budi\x00Santoso", 3),
        "ESC in a string": first_string_replaced(doc, "Budi \x1b[2J", 3),
        "U+202E in a string": first_string_replaced(doc, "Budi \u202eosotnaS", 3),
        "zero-width space in a string": first_string_replaced(doc, "Budi\u200bSantoso", 3),
        "lone surrogate in a string": first_string_replaced(doc, "12\ud800", 3),
        "surrogate as every string": first_string_replaced(doc, "\udfff", 0),
        "newline in the format": first_string_replaced(doc, "x\ny", 0),
        "empty": b"",
        "a bare number": b"1",
        "truncated": doc[: len(doc) // 2],
    }


CSV_ATTACKS = {
    "UTF-16": "a,b\n1,2\n".encode("utf-16"),
    "not UTF-8": b"a,b\n\xff\xfe,2\n",
    "NUL": b"a,b\n\x00,2\n",
    "ESC": b"a,b\nx\x1b[2J,2\n",
    "U+202E": "a,b\nx\u202e,2\n".encode(),
    "binary": bytes(range(256)) * 4,
    "empty": b"",
    "a 200 KB field": b"a,b\n" + b"x" * 200_000 + b",2\n",
}


# --- the entry points ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    name: str
    argv: Callable[[str], list[str]]  # the command line for a file path
    valid: bytes
    db: bool
    json: bool = True


ENTRIES = [
    Entry("ecd assess", lambda p: ["ecd", "assess", p, "--rates", RATES_CSV, "--json"], ECD, db=False),
    Entry("ecd import", lambda p: ["ecd", "import", p], ECD, db=True),
    Entry("pib assess", lambda p: ["pib", "assess", p, "--json"], PIB, db=False),
    Entry("pib import", lambda p: ["pib", "import", "--as", "dewi", p], PIB, db=True),
    Entry("plp check", lambda p: ["plp", "check", p, "--json"], PLP, db=False),
    Entry("plp import", lambda p: ["plp", "import", p], PLP, db=True),
    Entry("ecd assess --rates", lambda p: ["ecd", "assess", str(FIXTURES / "ecd" / "contract_laptop.json"),
                                           "--rates", p], RATES, db=False, json=False),
    Entry("rates import", lambda p: ["rates", "import", p], RATES, db=True, json=False),
    Entry("tariff import", lambda p: ["tariff", "import", p], TARIFF, db=True, json=False),
    Entry("tariff lartas", lambda p: ["tariff", "lartas", p], LARTAS, db=True, json=False),
    Entry("manifest import", lambda p: ["manifest", "import", p], MANIFEST, db=True, json=False),
    Entry("plp tps import", lambda p: ["plp", "tps", "import", p], TPS, db=True, json=False),
]
BY_NAME = {e.name: e for e in ENTRIES}


@pytest.fixture
def cli_db(settings, services, users, monkeypatch):
    """The commands' database (users as in tests/conftest.py, the office key made) and a row counter."""
    from workstation.services.base import cli_actor

    services.issuance.ensure_office_key()
    services.pib.import_sample_tables(cli_actor(services.settings))
    services.reference.import_rates(cli_actor(services.settings), RATES_CSV)
    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.setenv("WORKSTATION_OFFICE__CODE", "040300")  # a configured office (#12 item 7)
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)
    counter = RowCounter(settings.effective_database_url)
    yield counter
    counter.close()


def check(entry: Entry, data: bytes, tmp: Path, counter: RowCounter | None, what: str,
          path: str | None = None) -> tuple[int, str]:
    """Run `entry` on `data` (or on `path`), assert the contract; returns (exit code, stderr)."""
    if path is None:
        file = tmp / "input.dat"
        file.write_bytes(data)
        path = str(file)
    before = counter() if counter else None
    run = run_cli(*entry.argv(path))
    assert_contract(run, f"{entry.name} on {what}")
    if counter and run.code == 2:
        assert counter() == before, f"{entry.name} on {what}: exit 2 but rows were written"
    return run.code, run.err


# --- named attacks: each gives exit 2 and one line ------------------------------------------------------------
def _counter_for(entry: Entry, request) -> RowCounter | None:
    return request.getfixturevalue("cli_db") if entry.db else None


def bad_paths(tmp: Path) -> dict[str, str]:
    return {"/dev/urandom": "/dev/urandom", "a directory": str(tmp), "a missing file": str(tmp / "missing.json"),
            "a 300-character name": "x" * 300, "a name with a newline": "a\nb.json",
            "a name with ESC": "a\x1b[2Jb.json"}


@pytest.mark.parametrize("name", [e.name for e in ENTRIES])
def test_named_attacks_are_exit_2_one_line_nothing_written(name, tmp_path, request):
    """The issue's inputs, each on its own: one test per entry point (one database set-up), every failure listed."""
    entry = BY_NAME[name]
    counter = _counter_for(entry, request)
    attacks = json_attacks(entry.valid) if entry.json else CSV_ATTACKS
    wrong = []
    for what, data in attacks.items():
        code, err = check(entry, data, tmp_path, counter, what)
        if code != 2:
            wrong.append(f"{what}: exit {code}: {err!r}")
    for what, path in bad_paths(tmp_path).items():
        code, err = check(entry, b"", tmp_path, counter, what, path=path)
        if code != 2:
            wrong.append(f"{what}: exit {code}: {err!r}")
    assert wrong == []


@pytest.mark.parametrize("name", [e.name for e in ENTRIES])
def test_a_utf8_bom_is_accepted(name, tmp_path, request):
    entry = BY_NAME[name]
    plain, _ = check(entry, entry.valid, tmp_path, _counter_for(entry, request), "the valid input")
    # the same input again with a BOM: the same outcome (an import of the same file again changes nothing)
    with_bom, err = check(entry, b"\xef\xbb\xbf" + entry.valid, tmp_path, None, "the input with a BOM")
    assert with_bom == plain and with_bom != 2, err


def test_duplicate_keys_refused_in_every_json_format(tmp_path):
    for name in ("ecd assess", "pib assess", "plp check"):
        entry = BY_NAME[name]
        doc = entry.valid.replace(b"{", b'{"format": "x", ', 1)
        code, err = check(entry, doc, tmp_path, None, "a duplicate key")
        assert code == 2 and "duplicate key 'format'" in err, (name, err)


def test_messages_name_the_field_and_escape_the_value(tmp_path):
    entry = BY_NAME["pib assess"]
    code, err = check(entry, first_string_replaced(PIB, "PT \u202eAMAJ", 3), tmp_path, None, "U+202E")
    assert code == 2 and "U+202E" in err and "\u202e" not in err
    code, err = check(entry, first_string_replaced(PIB, "x\ud800", 3), tmp_path, None, "a surrogate")
    assert code == 2 and "U+D800" in err


# --- property: mutated inputs keep the contract -----------------------------------------------------------------
FUZZ = settings(max_examples=12, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def mutations(valid: bytes, is_json: bool) -> st.SearchStrategy[bytes]:
    hostile_text = st.lists(st.sampled_from(HOSTILE + list("abc19 ")), max_size=6).map("".join)
    flips = st.tuples(st.integers(0, max(len(valid) - 1, 0)), st.integers(0, 255)).map(
        lambda t: valid[: t[0]] + bytes([t[1]]) + valid[t[0] + 1:])
    inserts = st.tuples(st.integers(0, len(valid)), hostile_text).map(
        lambda t: valid[: t[0]] + t[1].encode("utf-8", "surrogatepass") + valid[t[0]:])
    parts = [flips, inserts, st.binary(max_size=64)]
    if is_json:
        parts.append(st.tuples(st.integers(0, 40), hostile_text).map(
            lambda t: first_string_replaced(valid, t[1], t[0])))
    return st.one_of(*parts)


@pytest.mark.parametrize("name", [e.name for e in ENTRIES])
def test_fuzz_entry_point(name, tmp_path, request):
    entry = BY_NAME[name]
    counter = _counter_for(entry, request)

    @FUZZ
    @given(data=mutations(entry.valid, entry.json))
    def prop(data: bytes) -> None:
        check(entry, data, tmp_path, counter, f"{data[:80]!r}")

    prop()


@FUZZ
@given(text=st.one_of(
    st.lists(st.sampled_from(HOSTILE + list("ECD1:eJzAB-_=")), max_size=20).map("".join),
    st.sampled_from(["ECD1:", "ECD1:eJw", "ECD1:" + "A" * 300, "ECD:", "ECD:" + "x" * 300]),
    st.binary(max_size=48).map(lambda b: "ECD1:" + __import__("base64").urlsafe_b64encode(
        __import__("zlib").compress(b)).decode()),
    st.integers(1, 1200).map(lambda n: "ECD1:" + __import__("base64").urlsafe_b64encode(
        __import__("zlib").compress(b"[" * n + b"]" * n)).decode()),
))
def test_fuzz_scan_decode(text):
    assert_contract(run_cli("scan", "decode", text, "--json"), repr(text))


def test_crafted_ecd1_codes_are_refused_not_crashed():
    import base64
    import zlib

    def ecd1(raw: bytes) -> str:
        return "ECD1:" + base64.urlsafe_b64encode(zlib.compress(raw)).decode()

    for raw in (b"[" * 1000 + b"]" * 1000, b'{"a": ' + b"9" * 4301 + b"}", with_extra_key(ECD, b"1").replace(
            b'"zz"', b'"format"', 1), first_string_replaced(ECD, "a\x00b", 3)):
        run = run_cli("scan", "decode", ecd1(raw), "--json")
        assert_contract(run, repr(raw[:40]))
        assert run.code == 1 and json.loads(run.out)["valid"] is False


@pytest.mark.parametrize("argv", [
    ["verify", "x" * 300], ["verify", "a\nb"], ["verify", "\x1b[2J"], ["verify", "ABC\u202e"],
    ["verify", "x" * 5000 + ".pdf"], ["print", "y" * 300],
    ["user", "add", "l" * 300, "--role", "officer", "--password-stdin"],
    ["user", "add", "budi", "--role", "officer", "--password-stdin", "--name", "Budi \u202eX"],
    ["user", "add", "budi", "--role", "officer", "--password-stdin", "--name", "n" * 300],
    ["user", "unlock", "l" * 300], ["user", "deactivate", "l" * 300], ["user", "unlock", "a\x00b"],
    ["pib", "import", "--as", "l" * 300, str(FIXTURES / "pib" / "intake_ok.json")],
    ["scan", "decode", "x" * 9000], ["scan", "decode", "ABC\x00"], ["scan", "decode", "ABC\u202e"],
])
def test_bad_arguments_are_exit_2_one_line_nothing_written(argv, cli_db):
    before = cli_db()
    run = run_cli(*argv, stdin=b"rahasia-panjang-123\n")
    assert_contract(run, repr(argv))
    assert run.code == 2, run
    assert cli_db() == before


def test_long_file_names_reach_no_column(cli_db, tmp_path):
    """A file name longer than any column (80 characters on PostgreSQL) is stored shortened, never refused by
    the database."""
    long_dir = tmp_path / ("d" * 100)
    long_dir.mkdir()
    path = long_dir / (("n" * 150) + ".json")
    path.write_bytes(PLP)
    run = run_cli("plp", "import", str(path))
    assert_contract(run, "a long file name")
    assert run.code == 0, run


@pytest.mark.parametrize("name", [e.name for e in ENTRIES if not e.json])
def test_csv_line_ends_of_any_kind_are_read_alike(name, tmp_path, request):
    """CR LF and lone CR line ends (old exports) read as LF lines: the same outcome, never a csv.Error."""
    entry = BY_NAME[name]
    counter = _counter_for(entry, request)
    plain, _ = check(entry, entry.valid, tmp_path, counter, "LF")
    for what, data in [("CR LF", entry.valid.replace(b"\n", b"\r\n")), ("CR", entry.valid.replace(b"\n", b"\r"))]:
        code, err = check(entry, data, tmp_path, counter, what)
        assert code == plain, (what, err)
