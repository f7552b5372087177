"""What a member in bad faith on the tree's routes costs a room (127.0.0.1 only). Prints JSON.

    python -m tests.perf.badfaith [--mode bad|honest] [--edits 25] [--every 1.0]

Six laptops in one process, over TLS on 127.0.0.1 (no mDNS): honest laptops 0-1-2-3-4 in a line,
laptop 5 linked to 2, 3 and 4. With --mode bad laptop 5 says it is one link from every laptop,
relays nothing of others, and changes its counts every second (under the NEIGHBOURS rate) so its
peers count again and their links follow the tree. The honest laptops edit in turn, one edit every
EVERY seconds; reported: how long each edit took to reach every other honest laptop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LIAR = 5
EDGES = {(0, 1), (1, 2), (2, 3), (3, 4), (2, LIAR), (3, LIAR), (4, LIAR)}


async def measure(base: Path, mode: str, edits: int, every: float) -> dict[str, Any]:
    import organiser
    from organiser.net import node as node_module
    from organiser.services.group import create_group
    from tests.net.test_node import until
    from tests.net.tree_room import flap, in_bad_faith, make_groups, start

    founder = create_group(base / "founder", "Tenants Union", "laptop 0")
    groups = make_groups(founder, base, LIAR + 1)
    liar = groups[LIAR].device_id
    saved = node_module.Session
    if mode == "bad":
        in_bad_faith(lambda obj, name, value: setattr(obj, name, value), liar)
    nodes = await start(groups, EDGES, liar=LIAR if mode == "bad" else None)
    honest = groups[:LIAR]
    took: list[float] = []
    flapping = None
    try:
        await until(lambda: all(len(nodes[i]._links) == sum(1 for e in EDGES if i in e)
                                and all(link.session.live for link in nodes[i]._links.values())
                                for i in range(LIAR + 1)), 30.0, "every link up")
        await asyncio.sleep(3.0)  # the counts settle
        if mode == "bad":
            flapping = asyncio.create_task(flap(nodes[LIAR], 1.0, time.monotonic() + edits * every + 60))
        for number in range(edits):
            writer = honest[number % len(honest)]
            started = time.monotonic()
            writer.members.add(f"Edit {number}")
            seq = writer.replica.version_vector()[writer.device_id]
            await until(lambda w=writer.device_id, s=seq: all(g.replica.version_vector().get(w, 0) >= s
                                                               for g in honest), 60.0, f"edit {number} everywhere")
            took.append(time.monotonic() - started)
            await asyncio.sleep(max(0.0, every - took[-1]))
    finally:
        if flapping is not None:
            flapping.cancel()
        for n in nodes:
            await n.stop()
        node_module.Session = saved
        for g in groups:
            g.close()
    backed_off = [len(getattr(n._routes, "backed_off", ())) for n in nodes[:LIAR]]  # none before the defence
    ordered = sorted(took)
    return {"mode": mode, "code": str(Path(organiser.__file__).parent), "edits": edits, "every_s": every,
            "reach_all_s": {"median": round(statistics.median(took), 3),
                            "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 3), "max": round(max(took), 3),
                            "first_five": [round(t, 3) for t in took[:5]],
                            "last_five": [round(t, 3) for t in took[-5:]],
                            "over_1s": sum(t > 1.0 for t in took)},
            "back_offs_on_honest_laptops": backed_off}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.badfaith")
    parser.add_argument("--mode", choices=["bad", "honest"], default="bad")
    parser.add_argument("--edits", type=int, default=25)
    parser.add_argument("--every", type=float, default=1.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(measure(Path(tmp), args.mode, args.edits, args.every))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
