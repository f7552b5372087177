""""Remember on this computer": a group's database key in the OS keyring, never by default.

Only where the `keyring` package finds a real OS keyring (Secret Service, KWallet, macOS Keychain,
Windows Credential Locker), which keeps its secrets encrypted under the person's login; never a
third-party backend such as keyrings.alt's, which may keep them in a plain file that a copy of the
disk reads. Nowhere is the key written in clear. The entry is named by the group folder's random
local name, which names no group.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SERVICE = "organiser"


# keyring's own backends for the OS keyrings; anything else (keyrings.alt's plaintext or
# "encrypted" file, a backend named in $PYTHON_KEYRING_BACKEND) is not offered.
OS_KEYRINGS = frozenset({"keyring.backends.SecretService", "keyring.backends.libsecret", "keyring.backends.kwallet",
                         "keyring.backends.macOS", "keyring.backends.Windows"})


def _is_os_keyring(backend: Any) -> bool:
    """Whether `backend` keeps secrets only in an OS keyring; a chain of backends only if every one does
    (it falls through to the next when one fails)."""
    chained = getattr(backend, "backends", None)
    if chained is not None:
        return bool(chained) and all(_is_os_keyring(one) for one in chained)
    return type(backend).__module__ in OS_KEYRINGS and backend.priority > 0


def _backend() -> Any:
    """The keyring to remember keys in: an OS keyring, else None."""
    backend = _any_backend()
    return backend if backend is not None and _is_os_keyring(backend) else None


def _any_backend() -> Any:
    """Whatever usable backend `keyring` chose (for `forget`, which also clears what a backend this
    module no longer uses was given by an earlier release)."""
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
    backend = _backend() or _any_backend()  # also what an earlier release left in a plaintext keyring
    if backend is None:
        return
    try:
        if backend.get_password(SERVICE, path.name) is not None:
            backend.delete_password(SERVICE, path.name)
    except Exception:  # noqa: BLE001 - the wipe goes on; the keyring entry alone opens nothing left
        log.warning("could not remove the key from the OS keyring", exc_info=True)
