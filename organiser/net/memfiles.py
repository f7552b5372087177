"""Key material that Python's `ssl` must read from a file, kept in memory only.

`SSLContext.load_cert_chain` takes file names, not bytes. On Linux an anonymous memory file
(memfd) gives it one (/proc/self/fd/N) that never touches the disk and disappears with the
process, so the device's private key stays inside the encrypted database and in memory.
Elsewhere: a file in a fresh owner-only temporary folder, removed when the process ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

_kept: list[int] = []  # memfds stay open for the life of the process (contexts may be rebuilt)
_fallback_dir: Path | None = None


def memory_file(name: str, data: bytes) -> Path:
    """A path from which `data` can be read by this process, without writing it to disk where possible."""
    if hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir():
        fd = os.memfd_create(f"organiser-{name}", os.MFD_CLOEXEC)
        os.write(fd, data)
        _kept.append(fd)
        return Path(f"/proc/self/fd/{fd}")
    return _temporary_file(name, data)


def release(path: Path) -> None:
    """Close a memory file (or delete the temporary one) once no context will load it again."""
    if path.parent == Path("/proc/self/fd"):
        fd = int(path.name)
        if fd in _kept:
            _kept.remove(fd)
            os.close(fd)
    else:
        path.unlink(missing_ok=True)


def _temporary_file(name: str, data: bytes) -> Path:
    global _fallback_dir
    if _fallback_dir is None:
        _fallback_dir = Path(tempfile.mkdtemp(prefix="organiser-"))  # 0700
        atexit.register(shutil.rmtree, _fallback_dir, True)
    fd, where = tempfile.mkstemp(prefix=name, dir=_fallback_dir)  # 0600
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(where)
