"""A member signing membership entries it has no right to, frame after frame (no network). Prints JSON.

    python -m tests.perf.entries [--frames 17] [--entries 2000]

A plain member signs FRAMES changesets of ENTRIES membership entries each (removals and demotions
of the founder, admissions of nobody, its own promotion): the rules give none of them effect. The
founder's laptop stores them one changeset at a time, as frames arrive. Reported: the
milliseconds each store took (first, median, last), and how many times the membership log was
evaluated. The entries are kept (a later promotion of their author could make them count); the
point is that storing the next frame costs what storing the first did.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from organiser.core.membership import ADMIT, DEMOTE, MEMBERSHIP_KIND, PROMOTE, REMOVE
from organiser.core.records import new_id
from organiser.services.group import create_group
from organiser.store import membership
from organiser.store.replica import LocalOp
from tests.conftest import add_device, sync_pair


def flood(base: Path, frames: int, entries: int) -> dict[str, Any]:
    founder = create_group(base / "door", "Tenants Union", "door laptop")
    member = add_device(founder, base / "member", "member laptop")
    sync_pair(founder, member)
    ignored = [(REMOVE, {"device": founder.device_id, "kept": 0}), (DEMOTE, {"device": founder.device_id}),
               (ADMIT, {}), (PROMOTE, {"device": member.device_id})]
    member.replica.commit_batch([[LocalOp(MEMBERSHIP_KIND, new_id(), *ignored[i % len(ignored)])
                                  for i in range(entries)] for _frame in range(frames)])
    signed = member.replica.changes_since(founder.replica.version_vector())
    evaluations = 0
    evaluate = membership.evaluate

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal evaluations
        evaluations += 1
        return evaluate(*args, **kwargs)

    membership.evaluate = counted
    took: list[float] = []
    try:
        for cs in signed:
            start = time.perf_counter()
            founder.replica.apply([cs])
            took.append((time.perf_counter() - start) * 1000)
    finally:
        membership.evaluate = evaluate
    roster = {d.id: (d.admin, d.removed) for d in founder.membership.list()}
    founder.close()
    member.close()
    return {"frames": len(took), "entries_per_frame": entries, "evaluations": evaluations,
            "ms_per_frame_first": round(took[0], 1), "ms_per_frame_median": round(statistics.median(took), 1),
            "ms_per_frame_last": round(took[-1], 1), "founder_still_admin": roster[founder.device_id] == (True, False)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=17)
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="organiser-entries-") as tmp:
        print(json.dumps(flood(Path(tmp), args.frames, args.entries), indent=2))


if __name__ == "__main__":
    main()
