"""`organiser join` with a spoken code typed wrong, and `invite --short` asked for too long:
exit code 2, one sentence, nothing written. (Real joins by spoken code run between laptops in
network namespaces: tests/net/test_spoken_lan.py.) The mistyped codes run through the program's
entry point in the test process (`organiser_in_process`), the short code's limit in a real process."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("code", "words"), [
    ("7 purpel sausage", "'purpel' is not a first word of spoken invite codes; check its spelling."),
    ("7-adviser-aardvark", "'adviser' is not a first word of spoken invite codes (the two words may be swapped)."),
    ("1000-aardvark-adviser", "a spoken invite code is a number and two words, like 7-purple-sausage."),
    ("0-aardvark-adviser", "a spoken invite code starts with a number from 1 to 999."),
    ("7-aardvark", "a spoken invite code is a number and two words, like 7-purple-sausage."),
])
def test_a_mistyped_spoken_code_exits_2_with_one_sentence_and_makes_no_group(organiser_in_process, code, words):
    organiser = organiser_in_process
    done = organiser("join", code, "--device-name", "new laptop")
    assert done.code == 2, done.err
    assert done.err.strip() == f"organiser: {words}"
    assert not (organiser.data_dir / "groups").exists() or not any((organiser.data_dir / "groups").iterdir())


def test_a_short_code_for_longer_than_an_hour_is_refused(organiser):
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    done = organiser("invite", "--short", "--expires", "2h")
    assert done.code == 2 and "a short code stays valid at most 1 hour" in done.err
