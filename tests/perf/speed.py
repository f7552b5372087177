"""How fast this machine runs Python right now, for the benchmarks' JSON.

This machine is a virtual one whose host lends it more or less of a core over the day: the
same plain loop has taken from 0.9 s to 2.4 s, with nothing else running here. A figure
taken with a busy host is not comparable with one taken with an idle host, so the room and
the store report this probe beside their figures, taken in the same run.
"""

from __future__ import annotations

import time

STEPS = 5_000_000


def python_loop_s(steps: int = STEPS) -> float:
    """CPU seconds of a plain Python loop of `steps` additions (0.5–1.2 s here at 5 million):
    CPU time, not wall time, so the machine's own load does not count, only how fast a core is."""
    started = time.thread_time()
    total = 0
    for i in range(steps):
        total += i
    return round(time.thread_time() - started, 3)
