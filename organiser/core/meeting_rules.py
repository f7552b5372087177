"""Rules of the meeting kinds that go beyond one field's type: what a proposal may be, which
answers each kind of proposal takes, and what a minutes update may look like.

The same rules check a person's edit and a peer's changeset (core/records.py calls them).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from organiser.core.errors import ValidationError
from organiser.core.minutes import MinutesDoc, MinutesUpdate, decode_state

PROPOSAL_METHODS = ("consent", "consensus", "vote", "hands")
VOTERS = ("checked-in", "all", "role")
# The answers of the kinds whose answers are fixed; a vote and a show of hands name their options.
FIXED_CHOICES: dict[str, tuple[str, ...]] = {
    "consent": ("consent", "objection"),
    "consensus": ("agree", "abstain", "disagree", "block"),
}
# At a show of hands the host names those who block or stand aside (they are not just counted).
NAMED_AT_HANDS = ("block", "stand aside")
BLOCKING = frozenset({"block", "objection"})
MAX_OPTIONS = 20
# One minutes update as it travels (base64). A burst of typing is a few hundred bytes; a pasted
# page a few KB. A bigger paste is cut by the editor (ui/minutes_editor.py) into pieces that each
# stay under this cap, one changeset each; the service refuses a single update above it.
MAX_MINUTES_UPDATE = 256 * 1024
# Characters of one such piece: even at four UTF-8 bytes each its update stays under the cap.
MINUTES_PIECE = 32 * 1024
# Characters one `minutes append` takes (stored as pieces, all in one transaction): a whole
# two-hour meeting's minutes are about 50,000.
MAX_MINUTES_APPEND = 1_000_000


def choices_of(method: str, options: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The answers a member may give to a proposal of this kind."""
    if method in FIXED_CHOICES:
        return FIXED_CHOICES[method]
    if method == "hands":
        return (*options, *(n for n in NAMED_AT_HANDS if n not in options))
    return tuple(options)


def _check_base64(name: str, label: str, part: str, text: Any) -> None:
    """One part of a minutes update: base64 text (an update's not empty), at most MAX_MINUTES_UPDATE characters."""
    if type(text) is not str or (part == "update" and not text):
        raise ValidationError(name, f"{label}: the {part} is not base64 text.")
    if len(text) > MAX_MINUTES_UPDATE:
        raise ValidationError(name, f"{label}: an update of {len(text):,} characters is more than the "
                                    f"{MAX_MINUTES_UPDATE:,} allowed.")
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(name, f"{label}: the {part} is not valid base64.") from None


def check_proposal(values: Mapping[str, Any]) -> None:
    """Whole-proposal rules (the result of an edit, not just the fields given)."""
    _check_options(values.get("method"), values.get("options") or [])
    count, percent = values.get("quorum_count"), values.get("quorum_percent")
    if count is not None and count < 0:
        raise ValidationError("quorum", f"quorum: {count} cannot be below zero.")
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationError("quorum", f"quorum: {percent}% is not a share between 0% and 100%.")
    if values.get("voters") == "role" and not (values.get("voter_role") or "").strip():
        raise ValidationError("voters", "voters: say which role may vote, as role:NAME.")


def _check_options(method: Any, options: list[Any]) -> None:
    if method == "vote" and len(options) < 2:
        raise ValidationError("options", "options: a vote needs at least two options (--option A --option B).")
    if method == "hands" and not options:
        raise ValidationError("options", "options: a show of hands needs at least one option.")
    if len(options) > MAX_OPTIONS:
        raise ValidationError("options", f"options: {len(options)} options is more than the {MAX_OPTIONS} allowed.")


def check_minutes_update(name: str, label: str, value: Any) -> dict[str, str]:
    """A minutes update is {"deps": base64, "update": base64} (core/minutes.py), at most
    MAX_MINUTES_UPDATE characters; its deps must be a state vector and its update bytes pycrdt
    can read. Refused here, a bad one never reaches the stored document, whose compaction
    reads every deps it holds (store/minutes.py)."""
    if not isinstance(value, dict) or set(value) != {"deps", "update"}:
        raise ValidationError(name, f"{label}: expected an update with its deps.")
    for part in ("deps", "update"):
        _check_base64(name, label, part, value[part])
    update = MinutesUpdate.from_value(value)
    try:
        decode_state(update.deps)
    except ValueError:
        raise ValidationError(name, f"{label}: the deps are not a state vector.") from None
    # Reading the bytes into an empty document decodes them all (a missing predecessor only
    # leaves them pending): what pycrdt cannot read is refused, the same on every device.
    if not MinutesDoc().apply(update.update):
        raise ValidationError(name, f"{label}: the update is not a minutes change pycrdt can read.")
    return value
