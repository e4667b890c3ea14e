"""Start-up: the TUI headless until the login screen is painted (`workstation tui`, the officer's start, and
`workstation demo`), and the demo until its database is open ("ready"), each against a bare Textual app with
the same widgets. Wall time and peak RSS of the whole process.
Run: python -m bench.startup [--runs N]"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from bench.common import machine, median, pairs, run_measured


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    with tempfile.TemporaryDirectory() as d:
        demo = [sys.executable, "-m", "workstation", "demo", "--dir", d, "--headless"]
        # the officer's start: a configuration file like an office's (first paint never opens the database)
        config = os.path.join(d, "office.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f'data_dir = "{os.path.join(d, "office")}"\nlanguage = "id"\n[office]\nname = "KPPBC Uji"\n')
        tui = [sys.executable, "-m", "workstation", "--config", config, "tui", "--headless"]
        # the first run builds the demo database (migrations, users): measured once, apart
        fresh_wall, fresh_rss = run_measured([*demo, "--exit-on", "ready"], env)
        bare = [sys.executable, "-m", "bench.bare_app"]
        print(f"machine: {machine()}; {args.runs} alternating runs after a warm-up; medians")
        print(f"{'measure':<34}{'wall s':>9}{'bare s':>9}{'ratio':>8}{'RSS MB':>9}{'bare MB':>9}")
        for label, cmd, flag in (("first paint (workstation tui)", tui, "first-paint"),
                                 ("first paint (workstation demo)", demo, "first-paint"),
                                 ("ready (demo database open)", demo, "ready")):
            a, b = pairs([*cmd, "--exit-on", flag], bare, args.runs, env)
            ratios = [x[0] / y[0] for x, y in zip(a, b, strict=True)]
            print(f"{label:<34}{median([x[0] for x in a]):>9.3f}{median([y[0] for y in b]):>9.3f}"
                  f"{median(ratios):>8.2f}{median([x[1] for x in a]) / 1024:>9.1f}"
                  f"{median([y[1] for y in b]) / 1024:>9.1f}")
        print(f"{'first run (builds demo database)':<34}{fresh_wall:>9.3f}{'':>9}{'':>8}{fresh_rss / 1024:>9.1f}")


if __name__ == "__main__":
    main()
