"""What encryption at rest costs: part of `python -m tests.perf.store` (same run, JSON).

- encrypted_write: members added through the service, one transaction each (synchronous=FULL),
  into an encrypted group divided by the same into a plain group; rounds alternate.
- encrypted_apply: another device's 35,002 changesets applied into an encrypted group divided by
  the same into a plain group; plain, encrypted, plain, encrypted; the faster of each is kept.
- unlock: the passphrase's key derivation (Argon2id), opening the database and a first read.
- wipe: changing the passphrase of an encrypted 50,000-member group (a new database key: the
  database copied under it), then destroying it (sealed key shredded, then every file).
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from organiser.core.changeset import decode_changeset
from organiser.core.gcpause import gc_paused
from organiser.services.atrest import change_passphrase, wipe_group
from organiser.services.group import Group, create_group, join_group, open_group, prepare_join

PASSPHRASE = "correct horse battery staple"
NEW_PASSPHRASE = "a new passphrase for the bench"


def bench_encrypted_writes(tmp: Path, n: int, values: list[dict[str, Any]], rounds: int = 10) -> dict[str, Any]:
    plain = create_group(tmp / "write-plain", "Bench", "bench laptop")
    encrypted = create_group(tmp / "write-encrypted", "Bench", "bench laptop", passphrase=PASSPHRASE)
    times = {"plain": 0.0, "encrypted": 0.0}
    step = max(1, n // rounds)
    for start in range(0, n, step):
        for name, group in (("plain", plain), ("encrypted", encrypted)):
            batch = [dict(v) for v in values[start:start + step]]
            t0 = time.perf_counter()
            for v in batch:
                group.members.add(v.pop("name"), **v)
            times[name] += time.perf_counter() - t0
    plain.close()
    encrypted.close()
    return {"writes": n, "plain_s": round(times["plain"], 3), "encrypted_s": round(times["encrypted"], 3),
            "encrypted_per_write_us": round(times["encrypted"] / n * 1e6, 1),
            "ratio": round(times["encrypted"] / times["plain"], 2)}


def _target(tmp: Path, source: Group, name: str, passphrase: str | None) -> Group:
    _path, public = prepare_join(tmp / name, source.id, passphrase=passphrase)
    source.admit_device(public, name)
    return join_group(tmp / name, source.credentials(), name, passphrase=passphrase)


def _apply_all(target: Group, wire: list[tuple[bytes, bytes]], chunk: int) -> float:
    t0 = time.perf_counter()
    for start in range(0, len(wire), chunk):
        with gc_paused():
            changes = [decode_changeset(body, sig) for body, sig in wire[start:start + chunk]]
        result = target.replica.apply(changes)
        assert not result.refused, result.refused[:3]
    return time.perf_counter() - t0


def bench_encrypted_apply(tmp: Path, source: Group, chunk: int) -> dict[str, Any]:
    first = _target(tmp, source, "apply-first", None)  # admitted before the changesets are taken, as in "apply"
    first.close()
    wire = [(body, sig) for _id, body, sig in source.replica.raw_changes_after(0, limit=10**9)]
    best = {"plain": float("inf"), "encrypted": float("inf")}
    hashes = set()  # every target applied the same changesets, so all must agree
    for attempt in range(2):
        for name, passphrase in (("plain", None), ("encrypted", PASSPHRASE)):
            target = _target(tmp, source, f"apply-{name}-{attempt}", passphrase)
            best[name] = min(best[name], _apply_all(target, wire, chunk))
            hashes.add(target.replica.state_hash())
            target.close()
    return {"changesets": len(wire), "plain_apply_s": round(best["plain"], 3),
            "encrypted_apply_s": round(best["encrypted"], 3),
            "ratio": round(best["encrypted"] / best["plain"], 2), "state_hash_equal": len(hashes) == 1}


def bench_unlock(tmp: Path, rounds: int = 5) -> dict[str, Any]:
    data_dir = tmp / "unlock"
    group = create_group(data_dir, "Bench", "bench laptop", passphrase=PASSPHRASE)
    group.members.add("Ana López")
    group.close()
    from organiser.store.keyfile import KdfParams

    kdf = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        KdfParams(salt=bytes(16)).derive(PASSPHRASE)
        kdf.append(time.perf_counter() - t0)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        opened = open_group(data_dir, passphrase=PASSPHRASE)
        opened.members.list()
        times.append(time.perf_counter() - t0)
        opened.close()
    plain_dir = tmp / "unlock-plain"
    create_group(plain_dir, "Bench", "bench laptop").close()
    plain = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        opened = open_group(plain_dir)
        opened.members.list()
        plain.append(time.perf_counter() - t0)
        opened.close()
    return {"argon2id_s": round(min(kdf), 3), "argon2id_median_s": round(sorted(kdf)[rounds // 2], 3),
            "unlock_and_open_s": round(min(times), 3), "unlock_and_open_median_s": round(sorted(times)[rounds // 2], 3),
            "plain_open_s": round(min(plain), 3),
            "added_s": round(min(times) - min(plain), 3)}


def bench_wipe(tmp: Path, members: int, make_member: Any) -> dict[str, Any]:
    """A passphrase change (a new database key: the database copied under it), then the wipe,
    of the same encrypted group."""
    data_dir = tmp / "wipe"
    group = create_group(data_dir, "Bench", "bench laptop", passphrase=PASSPHRASE)
    group.db.execute("PRAGMA synchronous=OFF")
    rng = random.Random(5)
    for start in range(0, members, 2000):
        batch = [group.members.build_add(make_member(i, rng))[1] for i in range(start, min(members, start + 2000))]
        group.replica.commit_batch(batch)
    path = group.path
    group.close()
    size = sum(p.stat().st_size for p in path.iterdir())
    t0 = time.perf_counter()
    change_passphrase(path, PASSPHRASE, NEW_PASSPHRASE)
    changed = time.perf_counter() - t0
    t0 = time.perf_counter()
    wipe_group(data_dir, path)
    seconds = time.perf_counter() - t0
    return {"members": members, "folder_mb": round(size / 2**20, 1), "passphrase_change_s": round(changed, 3),
            "wipe_s": round(seconds, 3), "gone": not path.exists()}
