"""Figures for the packaged build, as JSON: build time, .deb size, installed size, start-up to window.

    .venv/bin/python packaging/measure.py [--deb PATH] [--runs 5]

Without --deb it builds the .deb first, as `make package` does (xz level 6), in a temporary folder.
Start-up is measured on the .deb unpacked into a temporary root: the time from launching the
packaged binary to its main window's first paint (`selftest --only window --json` reports the
wall-clock time of that paint; offscreen, with a fresh temporary group). "first" is the first
launch after unpacking: the files were just written, so they are in the page cache; a launch
after a reboot reads them from disk and is slower. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build  # noqa: E402 - packaging/build.py, beside this file


def launch(binary: Path, *args: str, home: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "ORGANISER_", "PYTHON"))}
    env["HOME"] = str(home)
    started = time.time()
    result = subprocess.run([str(binary), *args], capture_output=True, text=True, env=env, timeout=120)
    return started, result


def start_to_window(binary: Path, home: Path) -> float:
    started, result = launch(binary, "selftest", "--only", "window", "--json", home=home)
    report = json.loads(result.stdout)
    if result.returncode != 0 or report["window_painted_at"] is None:
        raise SystemExit(f"the packaged app did not open its window: {result.stdout}{result.stderr}")
    return report["window_painted_at"] - started


def measure(deb: Path | None, runs: int) -> dict[str, object]:
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="organiser-measure-") as tmp:
        work = Path(tmp)
        if deb is None:
            started = time.perf_counter()
            built = build.build(work / "build", level=6)
            figures["build_seconds"] = round(time.perf_counter() - started, 1)
            figures["pyinstaller_seconds"] = round(built.pyinstaller_seconds, 1)
            figures["deb_step_seconds"] = round(built.deb_seconds, 1)
            deb = built.deb
        control = subprocess.run(["dpkg-deb", "-f", str(deb), "Installed-Size"], capture_output=True, text=True,
                                 check=True)
        figures["deb_bytes"] = deb.stat().st_size
        figures["deb_mb"] = round(deb.stat().st_size / 1e6, 1)
        figures["installed_kib"] = int(control.stdout)
        figures["installed_mib"] = round(int(control.stdout) / 1024, 1)
        root = work / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        binary = root / "opt" / "organiser" / "organiser"
        home = work / "home"
        started, result = launch(binary, "--version", home=home)
        figures["version_seconds_first"] = round(time.time() - started, 3)
        windows = [start_to_window(binary, home) for _ in range(runs)]
        figures["start_to_window_seconds_first"] = round(windows[0], 3)
        figures["start_to_window_seconds_median"] = round(statistics.median(windows[1:] or windows), 3)
        figures["start_to_window_runs"] = runs
        started, result = launch(binary, "selftest", home=home)
        figures["selftest_seconds"] = round(time.time() - started, 3)
        figures["selftest"] = result.stdout.strip()
    figures["targets"] = {"deb_mb_at_most": 60, "start_to_window_seconds_at_most": 2}
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)  # other work on the machine slows all of this
    figures["cpus"] = os.cpu_count()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deb", type=Path, default=None, help="measure this .deb instead of building one")
    parser.add_argument("--runs", type=int, default=5, help="how many times to open the window")
    args = parser.parse_args()
    print(json.dumps(measure(args.deb, max(1, args.runs)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
