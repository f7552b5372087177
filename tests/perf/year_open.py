"""Opening a group in the desktop app the way `organiser` does, timed: prints JSON.

    unshare -rn sh -c 'ip link set lo up; python -m tests.perf.year_open --data-dir DIR [--runs 3]'

Each run is a fresh Python process that builds the app's own controller (`AppController.start`:
opens the group, shows the main window, starts the sync node and the folder watcher) under
qasync, and reports, from the moment the process was launched:
- painted_s: the first paint of the view on screen (Events, the default);
- filled_s: that view's records are in (read on a worker thread);
- network_s: the sync node has started (listening, discovery on);
- longest_stall_ms: the longest the event loop did not answer (a 5 ms heartbeat) from the first
  paint until 4 s after it: a window that paints but stalls is not usable yet.
The node starts zeroconf: run it inside a private network namespace, as shown above.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, json, sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
import qasync
app = QApplication([])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
from pathlib import Path
from organiser.app import AppController
out = {}
controller = AppController(Path(sys.argv[2]), None)
last = [time.time()]
stall = [0.0]
def beat():
    now = time.time()
    if "painted_s" in out:
        stall[0] = max(stall[0], now - last[0])
    last[0] = now
    if controller.node is not None and getattr(controller.node, "started", True) and "network_s" not in out:
        out["network_s"] = now - t0
    if "painted_s" in out and now - t0 > out["painted_s"] + 4:
        out["longest_stall_ms"] = round(stall[0] * 1000, 1)
        print(json.dumps(out), flush=True)
        app.exit(0)
heart = QTimer(); heart.timeout.connect(beat); heart.start(5)
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "painted_s" not in out:
            out["painted_s"] = time.time() - t0
            last[0] = time.time()
        return False
watcher = FirstPaint()
controller.start()
window = controller.window
window.stack.currentWidget().installEventFilter(watcher)
agenda = window.events_view.agenda
def filled():
    out.setdefault("filled_s", time.time() - t0)
agenda.ready.connect(filled)
if agenda.loaded:
    filled()
with loop:
    loop.run_forever()
"""


def cold_open(data_dir: Path, runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        started = time.time()
        out = subprocess.run([sys.executable, "-c", CHILD, str(started), str(data_dir)], capture_output=True,
                             text=True, cwd=ROOT, timeout=180, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    runs = cold_open(args.data_dir, args.runs)
    keys = sorted({k for r in runs for k in r})
    print(json.dumps({"runs": runs, "median": {k: round(statistics.median(r[k] for r in runs if k in r), 3)
                                                for k in keys},
                      "load_average": os.getloadavg()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
