"""Record ids: random, 128 bits, never repeated, not even by a forked process."""

from __future__ import annotations

import os
import re

from organiser.core.records import new_id


def test_ids_are_32_hex_characters_and_do_not_repeat():
    ids = [new_id() for _ in range(20_000)]  # several refills of the random pool
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_process_does_not_repeat_its_parents_next_ids():
    new_id()  # the pool holds bytes the child would otherwise share
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids and leave at once
        os.close(read)
        os.write(write, " ".join(new_id() for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    parent = {new_id() for _ in range(5)}
    assert len(child) == 5 and not child & parent
