"""Big buffers go back to the system once freed (glibc's malloc; elsewhere nothing changes).

glibc serves an allocation of 128 KiB or more with an mmap of its own, unmapped when freed;
but the first time such a block is freed it raises that threshold to the block's size (its
"dynamic mmap threshold"). From then on a frame's buffers of a megabyte (read, unpacked,
packed) come from the heap and, freed, stay there as free memory the process keeps.
Measured (`python -m tests.perf.soak`): a laptop that caught up after a pulled cable kept
1.5-2 MB more resident memory for the rest of the evening, free inside malloc, given back
only by `malloc_trim`. Setting the threshold (at its default) turns the raising off: big
buffers stay mmapped and leave resident memory when freed, for one mmap/munmap each.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_FROM = 128 * 1024  # glibc's own default, kept fixed

_set = False


def return_big_buffers() -> bool:
    """Fix glibc's mmap threshold for this process (once); False where there is no glibc."""
    global _set
    if _set or not sys.platform.startswith("linux"):
        return _set
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # a libc without mallopt
        return False
    _set = bool(mallopt(M_MMAP_THRESHOLD, MMAP_FROM))
    return _set
