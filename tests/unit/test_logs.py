"""Logging goes to a rotating file per process in the data dir, never to the terminal the TUI draws on."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from workstation import logs


@pytest.fixture
def clean_root():
    """setup() replaces the root logger's handlers: give them back after the test."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    for h in root.handlers[:]:
        if h not in saved:
            root.removeHandler(h)
            h.close()
    for h in saved:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)
    logging.captureWarnings(False)


def test_a_warning_goes_to_the_file_not_to_stderr(tmp_path, clean_root, capfd):
    path = logs.setup(tmp_path, level="INFO", console=False, pid=4242)
    assert path == tmp_path / "logs" / "workstation-4242.log"
    logging.getLogger("workstation.test").warning("printer %s is jammed", "kantor-a4")
    logging.getLogger("workstation.test").debug("not at INFO")
    for h in logging.getLogger().handlers:
        h.flush()
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    text = path.read_text(encoding="utf-8")
    assert "WARNING workstation.test: printer kantor-a4 is jammed" in text
    assert "not at INFO" not in text


def test_one_shot_commands_also_show_warnings_on_stderr(tmp_path, clean_root, capfd):
    path = logs.setup(tmp_path, console=True, pid=4243)
    logging.getLogger("x").info("only in the file")
    logging.getLogger("x").warning("in both")
    for h in logging.getLogger().handlers:
        h.flush()
    _, err = capfd.readouterr()
    assert err == "WARNING x: in both\n"
    assert "only in the file" in path.read_text() and "in both" in path.read_text()


def test_basic_config_stream_handler_is_replaced(tmp_path, clean_root, capfd):
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(logging.StreamHandler(sys.stderr))
    logs.setup(tmp_path, console=False, pid=4244)
    logging.getLogger("y").error("over the TUI?")
    _, err = capfd.readouterr()
    assert err == ""


def test_unwritable_data_dir_is_silent(tmp_path, clean_root, capfd):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert logs.setup(blocker, console=False) is None  # logs/ cannot be made under a file
    logging.getLogger("z").error("nowhere")
    assert capfd.readouterr() == ("", "")


def test_rotates_and_prunes_files_of_ended_processes(tmp_path, clean_root, monkeypatch):
    d = tmp_path / "logs"
    d.mkdir()
    dead = []
    for i in range(15):
        pid = 900000 + i
        p = d / f"workstation-{pid}.log"
        p.write_text("x")
        os.utime(p, (1000 + i, 1000 + i))
        dead.append(p)
    (d / "workstation-900000.log.1").write_text("rotated")
    os.utime(d / "workstation-900000.log.1", (999, 999))
    live = d / f"workstation-{os.getppid()}.log"  # a running process (our parent): kept however old
    live.write_text("x")
    os.utime(live, (1, 1))
    monkeypatch.setattr(logs, "MAX_BYTES", 200)
    path = logs.setup(tmp_path, console=False, pid=4245)
    kept = {p.name for p in d.iterdir()}
    assert {p.name for p in dead[-logs.KEEP_FILES:]} <= kept
    assert not {p.name for p in dead[:-logs.KEEP_FILES]} & kept
    assert "workstation-900000.log.1" not in kept and live.name in kept
    for i in range(30):
        logging.getLogger("r").warning("line %d of the rotation test", i)
    assert (d / "workstation-4245.log.1").exists() and not (d / f"workstation-4245.log.{logs.BACKUPS + 1}").exists()
    assert path.exists()


def test_cli_logs_to_the_data_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSTATION_")}
    env.update({"WORKSTATION_DATA_DIR": str(tmp_path), "WORKSTATION_DATABASE_URL": f"sqlite:///{tmp_path}/w.db"})
    code = ("import logging, sys; from workstation import cli; cli._setup_logging(cli.build_parser('tui')"
            ".parse_args(['tui']), tui=True); logging.getLogger('t').warning('from the tui'); "
            "import warnings; warnings.warn('a library complains'); "
            "print(sorted(h.__class__.__name__ for h in logging.getLogger().handlers))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stderr == "" and p.stdout.strip() == "['RotatingFileHandler']"
    [log] = (tmp_path / "logs").glob("workstation-*.log")
    assert "from the tui" in log.read_text() and "a library complains" in log.read_text()
