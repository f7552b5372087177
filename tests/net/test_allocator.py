"""A node's process gives big freed buffers back to the system (net/allocator.py).

Each case runs in a fresh Python process, as glibc's threshold is per process: a 4 MB buffer
is freed once (which, left alone, raises glibc's mmap threshold), then twenty frame-sized
buffers of 1 MB are made (with blocks of 40 KB made
between them that stay alive) and freed; what malloc then keeps as free memory is read with
mallinfo2. Without the setting it keeps most of those 20 MB; with it, next to nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

if not sys.platform.startswith("linux"):
    pytest.skip("glibc's malloc only", allow_module_level=True)

PROBE = """
import ctypes, json, sys
from organiser.net.allocator import return_big_buffers

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
set_ = return_big_buffers() if sys.argv[1] == "set" else False
libc.free(libc.malloc(4 << 20))  # a big frame, once
frames, kept = [], []
for _ in range(20):
    frames.append(libc.malloc(1 << 20))
    ctypes.memset(frames[-1], 1, 1 << 20)  # written, as a frame's bytes are
    kept.append(libc.malloc(40_000))  # made meanwhile, alive after (records, sessions)
for frame in frames:
    libc.free(frame)
print(json.dumps({"set": set_, "free_kept_kb": libc.mallinfo2().fordblks // 1024}))
"""


def probe(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_freed_frame_buffers_leave_the_process_instead_of_staying_in_malloc():
    plain, returned = probe("plain"), probe("set")
    if plain["free_kept_kb"] < 10_000:
        pytest.skip(f"this malloc keeps no big buffers to begin with ({plain})")  # not glibc
    assert returned["set"] is True
    assert returned["free_kept_kb"] < 1024, returned
