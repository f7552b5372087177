"""Why a shared folder cannot be used now, in one sentence that says what to do.

Found by carrying a USB stick between laptops: a stick pulled out leaves its mount point behind,
an empty folder of the laptop's own disk, where a pass would write the group's files and report
every device caught up; a full or read-only stick was said in the system's words only ("No space
left on device"), and a read-only one as unusable although what the others left there was read.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from organiser.core.words import plural
from organiser.folder import crypto, layout


class LeftBehind(FileNotFoundError):
    """The folder is there, but none of the files this device knew there is, and nothing of
    Organiser's: a stick's mount point once the stick was pulled out, or a folder emptied."""

    def __init__(self, folder: str) -> None:
        super().__init__(errno.ENOENT, "none of the files this laptop read or wrote there is left", folder)


def left_behind(root: Path, known: Iterable[str], listing: layout.Listing) -> bool:
    """This device noted files in the folder, none is there now and the folder holds nothing
    Organiser writes."""
    known = list(known)
    if not known or listing.segments or listing.cards or listing.keys or listing.invites:
        return False
    return not any((root / path).exists() for path in known)


def check_not_left_behind(root: Path, known: Iterable[str], listing: layout.Listing) -> None:
    """LeftBehind (said with what to do) if the folder is left behind: checked before anything is
    forgotten or written."""
    if left_behind(root, known, listing):
        raise LeftBehind(str(root))


def unusable(folder: str, exc: OSError, read: int | None = None) -> str:
    """The sentence said in the folder's state and by `folder sync`. `read` is how many changes
    the pass applied when the trouble came while writing (None: it came before anything was read)."""
    said = _what_to_do(folder, exc)
    if read is not None:
        said += (f"; what the other laptops left there was read ({plural(read, 'new change')}), "
                 "but this laptop's changes were not written")
    return said + "."


def _what_to_do(folder: str, exc: OSError) -> str:
    if isinstance(exc, LeftBehind):
        return (f"the folder {folder} is empty: none of the files this laptop read or wrote there is left. "
                "Plug the stick in (an empty folder is what a stick leaves where it was mounted); "
                "if the folder was emptied on purpose, remove it here and add it again")
    if exc.errno == errno.ENOENT:
        return (f"the folder {folder} is not there: plug the stick in, or if the folder moved, "
                "remove it here and add it at its new place")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"the folder {folder} is full: make room on it (delete files you no longer need there) "
                "or use a larger one, then sync again; this laptop's changes wait here meanwhile")
    if exc.errno == errno.EROFS:
        return (f"the folder {folder} is read-only (mounted read-only, or the stick's lock switch is on): "
                "make it writable, then sync again")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"this laptop may not write in the folder {folder}: give it the right to, then sync again"
    return (f"the folder {folder} cannot be used now ({exc.strerror or exc}): if it is a stick, "
            "plug it in again, then sync again")


FOREIGN = "unreadable: " + crypto.NO_KEY
OTHER_FILES = "./"  # the problem saying the files beside the devices' folders that are not Organiser's


def collapse_foreign(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    """The files no key of this device opens, said once per device folder: on a stick two groups
    share, every file of the other group is one (a line each grew with each of their segments).
    The stick's other files (documents, photos) beside the device folders are said once too."""
    foreign: dict[str, int] = {}
    others = 0
    kept = []
    for problem in problems:
        device, _sep, name = problem["path"].rstrip("/").rpartition("/")
        if problem["why"] == FOREIGN and device:
            foreign[device] = foreign.get(device, 0) + 1
        elif problem["why"] == layout.NOT_OURS and not device:
            others += 1
        else:
            kept.append(problem)
    kept += [{"path": device + "/", "why": f"{plural(count, 'file')} sealed with a folder key this laptop "
              "does not hold: another group's, or written after this laptop was removed from the group; "
              "left alone"} for device, count in foreign.items()]
    if others:
        kept.append({"path": OTHER_FILES, "why": f"{plural(others, 'file or folder', 'files and folders')} beside the "
                     "laptops' folders that are not Organiser's (documents, photos): left alone; a folder of its "
                     "own on the stick keeps them apart"})
    return kept


def waiting_to_be_admitted(status: dict[str, Any]) -> str:
    """For a laptop that joined through the folder and is not admitted yet (`Folders.status`):
    what to do; empty once admitted."""
    if status["admitted"]:
        return ""
    admins = [d["name"] for d in status["devices"] if d["admin"] and not d["removed"]]
    return ("This laptop waits to be admitted: carry the folder (the stick) to the laptop that invited it ("
            + " or ".join(admins) + "), whose next pass admits it; until then this laptop's changes wait here.")
