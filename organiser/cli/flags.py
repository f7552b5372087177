"""A refused field named as the flag the person typed: `member add --name ""` says '--name: ...',
not 'display name: ...' (the label the app's forms show beside the box)."""

from __future__ import annotations

from collections.abc import Sequence

from organiser.core.errors import ValidationError
from organiser.core.records import KINDS

# Fields whose flag is not the field's own name with '-' for '_': a list field takes one value
# per flag, repeated (`--email A --email B` fills `emails`).
FLAG_OF_FIELD = {"emails": "--email", "phones": "--phone", "roles": "--role", "skills": "--skill",
                 "phone_types": "--phone-type", "email_types": "--email-type"}


def flag_of(field: str) -> str:
    return FLAG_OF_FIELD.get(field, "--" + field.replace("_", "-"))


def _labels_of(field: str) -> set[str]:
    """What a sentence about the field may begin with: its name or a kind's label for it."""
    return {field, field.replace("_", " ")} | {
        spec.by_name[field].label for spec in KINDS.values() if field in spec.by_name}


def _typed(flag: str, argv: Sequence[str]) -> bool:
    # argparse also takes an unambiguous start of a flag ('--nam'), and '--flag=value'
    words = (arg.split("=", 1)[0] for arg in argv if arg.startswith("--") and len(arg) > 2)
    return any(flag.startswith(word) for word in words)


def said_with_flag(exc: ValidationError, argv: Sequence[str]) -> str:
    """The refusal's sentence, its first words naming the flag when the person typed one for
    the field (the sentence is unchanged otherwise: a positional argument, a field no flag sets)."""
    flag = flag_of(exc.field)
    named, sep, rest = exc.message.partition(": ")
    if sep and named in _labels_of(exc.field) and _typed(flag, argv):
        return f"{flag}: {rest}"
    return exc.message
