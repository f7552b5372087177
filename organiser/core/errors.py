"""Errors a person can cause, each one sentence that says what and where."""

from __future__ import annotations


class OrganiserError(Exception):
    """Base for errors shown to people as one clear sentence."""


class ValidationError(OrganiserError):
    """A field value was refused; nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotFoundError(OrganiserError):
    """A record id that does not exist (or was deleted)."""


class NoGroupError(OrganiserError):
    """The data directory holds no group yet."""


class RejectedChangeset(OrganiserError):
    """A changeset from a peer was refused; the reason says why."""


class PassphraseError(OrganiserError):
    """A passphrase that is wrong, missing or unusable; nothing was changed."""


class LockedError(PassphraseError):
    """The group's database is encrypted and no passphrase (or key) was given to open it."""
