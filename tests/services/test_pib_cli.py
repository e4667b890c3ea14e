"""`workstation pib import`, `tariff import|lartas`, `manifest import`: output, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest

from tests.services.test_pib_support import FIXTURES, env_fixture  # noqa: F401  (the `env` fixture)
from workstation.cli import main


@pytest.fixture
def cli(env, settings, monkeypatch, capsys):
    monkeypatch.setenv("WORKSTATION_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WORKSTATION_PASSWORD_HASHING", "fast")
    monkeypatch.setenv("WORKSTATION_OFFICE__CODE", "040300")  # a configured office (#12 item 7)
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_pib_import_accepted_and_rejected(cli, env):
    code, out, err = cli("pib", "import", "--as", "dewi", str(FIXTURES / "intake_ok.json"))
    assert (code, err) == (0, "")
    assert out.startswith("04032000000020261120000101: BILLED, billing code 8040300") and "Rp15.026.400" in out
    code, out, err = cli("pib", "import", "--as", "dewi", str(FIXTURES / "skp_hs_unknown.json"), "--json")
    assert code == 1 and err == ""
    result = json.loads(out)
    assert (result["state"], result["accepted"]) == ("REJECTED", False)
    assert result["problems"][0]["code"] == "HS_UNKNOWN" and result["documents"][0].endswith("/PENOLAKAN/040300/2026")
    code, out, _ = cli("pib", "import", "--as", "dewi", str(FIXTURES / "intake_ok.json"))
    assert code == 0 and "unchanged" in out


def test_pib_import_bad_file_is_exit_2_one_line_and_other_files_still_go_in(cli, env, tmp_path):
    missing = tmp_path / "nope.json"
    code, out, err = cli("pib", "import", "--as", "dewi", str(missing), str(FIXTURES / "float_cif.json"),
                         str(FIXTURES / "intake_ok.json"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "nope.json" in lines[0] and "items[0].cif" in lines[1]
    assert "Traceback" not in err and "BILLED" in out


def test_tariff_and_lartas_and_manifest_commands(cli, env, tmp_path):
    code, out, _ = cli("tariff", "import", "--sample")
    assert code == 0 and "sample tariff: 0 added" in out and "sample lartas: 0 added" in out
    t = tmp_path / "btki.csv"
    t.write_text("hs_code,description,bm_rate\n0101210000,Kuda bibit,0\n")
    code, out, _ = cli("tariff", "import", str(t))
    assert code == 0 and "1 added" in out
    lt = tmp_path / "lartas.csv"
    lt.write_text("hs_prefix,permit,agency\n0101,Rekomendasi karantina,Badan Karantina\n")
    code, out, _ = cli("tariff", "lartas", str(lt))
    assert code == 0 and "1 added" in out
    code, out, _ = cli("manifest", "import", str(FIXTURES / "manifest.csv"))
    assert code == 0 and "0 lines added, 2 already stored" in out


def test_reference_command_errors_are_one_line_exit_2(cli, env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("hs_code,description,bm_rate\n8471300,Laptop,0\n")
    code, _, err = cli("tariff", "import", str(bad))
    assert code == 2 and err.strip() == "workstation: bad.csv:line 2:hs_code: HS code must have 8 or 10 digits, got '8471300'"
    code, _, err = cli("tariff", "import")
    assert code == 2 and err.count("\n") == 1
    code, _, err = cli("manifest", "import", str(tmp_path / "none.csv"))
    assert code == 2 and "none.csv" in err and err.count("\n") == 1


def test_pib_import_needs_a_known_receiving_officer(cli, env):
    code, _, err = cli("pib", "import", "--as", "nobody", str(FIXTURES / "intake_ok.json"))
    assert code == 2 and err.strip() == "workstation: as: no active user 'nobody'"
    code, _, err = cli("pib", "import", "--as", "budi", str(FIXTURES / "intake_ok.json"))
    assert code == 1 and "examiner" in err  # an inspector does not receive PIBs


def test_pib_states_answers_what_a_role_may_do_in_a_state(cli):
    """`pib states --state RESEARCH --role examiner`: the table's rows, and nothing else."""
    from workstation.domain.pib import FLOW

    code, out, err = cli("pib", "states", "--state", "RESEARCH", "--role", "examiner", "--json")
    assert (code, err) == (0, "")
    actions = {t["action"] for t in json.loads(out)["transitions"]}
    assert actions == FLOW.allowed("RESEARCH", ["examiner"])
    assert {"pib.determine.SPPB", "pib.request", "pib.answer"} <= actions and "pib.submit_lhp" not in actions
    code, out, _ = cli("pib", "states")
    assert code == 0 and out.count("\n") == len(FLOW.rows) + 2 and "pib.release" in out
    code, _, err = cli("pib", "states", "--role", "captain")
    assert code == 2 and "--role" in err
