"""Sentences as people read them: a refusal without the internal field name it starts with;
text from peers shown as typed where Qt would take it for markup."""

from __future__ import annotations

from PySide6 import QtGui


def people_words(message: str) -> str:
    """A service's sentence without the field name it starts with ("emails: ..."): shown next
    to the field, or in a dialog about one thing, the name adds nothing a person needs."""
    head, sep, rest = message.partition(": ")
    if sep and len(head.split()) <= 3 and "'" not in head and "(" not in head:
        message = rest
    return message[:1].upper() + message[1:]


# The services' pointers to a command, said the way the window says them: a member who clicked a
# button has no terminal open, and the window shows the same thing one click away.
IN_THE_WINDOW = (
    ("see 'organiser device list' for the group's admins",
     "The Laptops view shows who they are (Role: admin, under The group's laptops)"),
    ("until an admin admits it again ('organiser device vouch' with this laptop's name) or promotes it",
     "until an admin admits it again ('organiser device vouch' with this laptop's name, on the admin's laptop) or "
     "clicks it in Laptops, then Vouch… (or Make admin)"),
)


def in_the_window(message: str) -> str:
    for command_words, window_words in IN_THE_WINDOW:
        message = message.replace(command_words, window_words)
    return message


def as_typed(text: str) -> str:
    """`text` for a message box or a tooltip, shown letter for letter: both render text they take
    for markup, and the titles and names in them come from peers (a title's `<br><!--` hid the
    rest of a question)."""
    return QtGui.Qt.convertFromPlainText(text) if QtGui.Qt.mightBeRichText(text) else text
