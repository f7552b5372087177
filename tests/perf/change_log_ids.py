"""What m028 (change log ids that only grow) costs a group at its first opening after the update:
prints JSON. Run with `python -m tests.perf.change_log_ids [--members N]`.

A group of N members, each added through the service (one changeset each), is put back to the
schema before m028 (tests/store/test_migrations.py `rewind_to_ids_given_again`) and opened the
way the app opens it (`store.database.connect`, which runs pending migrations); m028 copies the
change log into its new table. Reported: the opening with m028, the opening of the same group
once more (nothing to migrate), and the change log's rows and the file's size.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from organiser.services.group import create_group
from organiser.store.database import Database, connect  # sqlite_utils after organiser: on sqlcipher3
from tests.store.test_migrations import rewind_to_ids_given_again


def measure(members: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        group = create_group(Path(tmp) / "data", "Perf", "perf")
        for n in range(members):
            group.members.add(f"Member {n}", emails=[f"member{n}@example.org"], notes="door team " * 20)
        path = Path(group.replica.database_path())
        group.close()
        old = Database(path)
        rewind_to_ids_given_again(old)
        (rows,) = old.execute("SELECT count(*) FROM change_log").fetchone()
        old.close()
        began = time.perf_counter()
        connect(path).close()
        migrating = time.perf_counter() - began
        began = time.perf_counter()
        connect(path).close()
        again = time.perf_counter() - began
        return {"changesets": rows, "file_mb": round(path.stat().st_size / 1e6, 1),
                "open_with_m028_s": round(migrating, 3), "open_again_s": round(again, 3),
                "m028_us_per_changeset": round((migrating - again) / rows * 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    args = parser.parse_args()
    print(json.dumps({"m028_change_log_ids": measure(args.members)}, indent=2))


if __name__ == "__main__":
    main()
