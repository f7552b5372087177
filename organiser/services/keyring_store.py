""""Remember on this computer": a group's database key in the OS keyring, never by default.

Only where the `keyring` package finds a real backend (Secret Service, macOS Keychain, Windows
Credential Locker); nowhere is the key written in clear next to the database. The entry is named
by the group folder's random local name, which names no group.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SERVICE = "organiser"


def _backend() -> Any:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring set-up means: not offered
        log.info("no usable OS keyring", exc_info=True)
        return None
    name = type(backend).__module__
    if isinstance(backend, fail.Keyring) or name.startswith("keyring.backends.null") or backend.priority <= 0:
        return None
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return None
    return backend


def available() -> bool:
    """Whether "Remember on this computer" can be offered here."""
    return _backend() is not None


def remember(path: Path, database_key: bytes) -> None:
    backend = _backend()
    if backend is None:
        raise RuntimeError("there is no OS keyring on this computer")
    backend.set_password(SERVICE, path.name, database_key.hex())


def recall(path: Path) -> bytes | None:
    backend = _backend()
    if backend is None:
        return None
    try:
        value = backend.get_password(SERVICE, path.name)
    except Exception:  # noqa: BLE001 - a locked or broken keyring: ask for the passphrase instead
        log.warning("could not read the OS keyring", exc_info=True)
        return None
    try:
        return bytes.fromhex(value) if value else None
    except ValueError:
        return None


def forget(path: Path) -> None:
    backend = _backend()
    if backend is None:
        return
    try:
        if backend.get_password(SERVICE, path.name) is not None:
            backend.delete_password(SERVICE, path.name)
    except Exception:  # noqa: BLE001 - the wipe goes on; the keyring entry alone opens nothing left
        log.warning("could not remove the key from the OS keyring", exc_info=True)
