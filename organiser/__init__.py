"""Organiser: a group's events, tasks and member directory, synced peer to peer on the local network."""

__version__ = "0.2.0"

# Before anything imports sqlite-utils: have it use SQLCipher's DB-API module (see store/cipher.py).
from organiser.store.cipher import use_sqlcipher as _use_sqlcipher  # noqa: E402

_use_sqlcipher()
