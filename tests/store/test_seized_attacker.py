"""The attacker with a copy of a laptop's disk, in process: "Remember on this computer" must not
leave the database key where the copy reads it.

This machine has no `keyring` package, so the tests put in its place a small one whose backends
behave as the real ones: keyrings.alt's PlaintextKeyring (priority 0.5, the password base64 in
~/.local/share/python_keyring/keyring_pass.cfg; the backend `keyring` chooses on a Linux machine
with keyrings.alt installed and no Secret Service running, as shown with the real packages) and
keyring's own Secret Service backend (secrets encrypted under the login by the OS).
"""

from __future__ import annotations

import base64
import configparser
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from organiser.core.errors import PassphraseError
from organiser.services import keyring_store
from organiser.services.atrest import wipe_group
from organiser.services.group import create_group
from organiser.store.database import connect
from organiser.store.datadir import DB_NAME

PASSPHRASE = "correct horse battery staple"


class _FailKeyring:
    priority = 0


def _backend_class(module: str, name: str, priority: float, store: Any) -> type:
    def set_password(self: Any, service: str, user: str, password: str) -> None:
        store.set(service, user, password)

    def get_password(self: Any, service: str, user: str) -> str | None:
        return store.get(service, user)

    def delete_password(self: Any, service: str, user: str) -> None:
        store.delete(service, user)

    return type(name, (), {"__module__": module, "priority": priority, "set_password": set_password,
                           "get_password": get_password, "delete_password": delete_password})


class _PlainFile:
    """What keyrings.alt's PlaintextKeyring writes: an INI file, each password base64-encoded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> configparser.RawConfigParser:
        config = configparser.RawConfigParser()
        config.read(self.path)
        return config

    def set(self, service: str, user: str, password: str) -> None:
        config = self._read()
        if not config.has_section(service):
            config.add_section(service)
        config.set(service, user, base64.encodebytes(password.encode()).decode())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w") as fh:
            config.write(fh)

    def get(self, service: str, user: str) -> str | None:
        config = self._read()
        if not config.has_option(service, user):
            return None
        return base64.decodebytes(config.get(service, user).encode()).decode()

    def delete(self, service: str, user: str) -> None:
        config = self._read()
        config.remove_option(service, user)
        with open(self.path, "w") as fh:
            config.write(fh)


class _InMemory:
    """Stands for the OS's own store (Secret Service): nothing in a file the copy reads."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def set(self, service: str, user: str, password: str) -> None:
        self.items[(service, user)] = password

    def get(self, service: str, user: str) -> str | None:
        return self.items.get((service, user))

    def delete(self, service: str, user: str) -> None:
        del self.items[(service, user)]


def _install_keyring(monkeypatch: pytest.MonkeyPatch, chosen: Any) -> None:
    """A `keyring` package whose get_keyring() returns `chosen`."""
    package = types.ModuleType("keyring")
    backends = types.ModuleType("keyring.backends")
    fail = types.ModuleType("keyring.backends.fail")
    fail.Keyring = _FailKeyring  # type: ignore[attr-defined]
    backends.fail = fail  # type: ignore[attr-defined]
    package.backends = backends  # type: ignore[attr-defined]
    package.get_keyring = lambda: chosen  # type: ignore[attr-defined]
    for name, module in (("keyring", package), ("keyring.backends", backends), ("keyring.backends.fail", fail)):
        monkeypatch.setitem(sys.modules, name, module)


@pytest.fixture
def encrypted(tmp_path: Path) -> tuple[Path, Path, bytes]:
    """(data folder, group folder, its database key) of a group made with a passphrase."""
    group = create_group(tmp_path / "data", "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    group.members.add("Ana López")
    found = (tmp_path / "data", group.path, group.database_key())
    group.close()
    return found


def _opens_with_what_the_disk_holds(ring_file: Path, db_path: Path) -> bool:
    """The attacker: every password in the plaintext keyring file tried as the database key."""
    if not ring_file.exists():
        return False
    store = _PlainFile(ring_file)
    for section in store._read().sections():
        for user in store._read().options(section):
            try:
                connect(db_path, readonly=True, key=bytes.fromhex(store.get(section, user) or "")).close()
                return True
            except (PassphraseError, ValueError):
                continue
    return False


def test_a_plaintext_file_keyring_is_not_offered_for_the_database_key(monkeypatch, tmp_path, encrypted):
    _data_dir, path, key = encrypted
    ring_file = tmp_path / "home" / ".local" / "share" / "python_keyring" / "keyring_pass.cfg"
    plaintext = _backend_class("keyrings.alt.file", "PlaintextKeyring", 0.5, _PlainFile(ring_file))()
    _install_keyring(monkeypatch, plaintext)
    offered = keyring_store.available()
    if offered:  # the unlock window shows "Remember on this computer", and the person ticks it
        keyring_store.remember(path, key)
    assert not _opens_with_what_the_disk_holds(ring_file, path / DB_NAME)
    assert not offered
    with pytest.raises(RuntimeError):
        keyring_store.remember(path, key)


def test_a_chain_that_falls_through_to_a_plaintext_file_is_not_offered(monkeypatch, tmp_path, encrypted):
    ring_file = tmp_path / "home" / "keyring_pass.cfg"
    secret_service = _backend_class("keyring.backends.SecretService", "Keyring", 5, _InMemory())()
    plaintext = _backend_class("keyrings.alt.file", "PlaintextKeyring", 0.5, _PlainFile(ring_file))()
    chain = _backend_class("keyring.backends.chainer", "ChainerBackend", 10, _InMemory())()
    chain.backends = [secret_service, plaintext]  # a locked Secret Service: set_password falls through
    _install_keyring(monkeypatch, chain)
    assert not keyring_store.available()


def test_the_os_keyring_is_still_offered_and_the_wipe_clears_an_old_plaintext_entry(monkeypatch, tmp_path, encrypted):
    data_dir, path, key = encrypted
    secret_service = _backend_class("keyring.backends.SecretService", "Keyring", 5, _InMemory())()
    _install_keyring(monkeypatch, secret_service)
    assert keyring_store.available()
    keyring_store.remember(path, key)
    assert keyring_store.recall(path) == key
    # An earlier release remembered the key in a plaintext keyring; the wipe still removes it there.
    ring_file = tmp_path / "home" / "keyring_pass.cfg"
    plaintext = _backend_class("keyrings.alt.file", "PlaintextKeyring", 0.5, _PlainFile(ring_file))()
    plaintext.set_password("organiser", path.name, key.hex())
    _install_keyring(monkeypatch, plaintext)
    assert keyring_store.recall(path) is None  # not used to open the group either
    wipe_group(data_dir, path)
    assert _PlainFile(ring_file).get("organiser", path.name) is None
