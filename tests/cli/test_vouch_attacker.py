"""`organiser device vouch`, asked by a member acting in bad faith ("vouch for my laptop, so I can
invite my flatmate"): where laptops come in with it, the command names them and asks before it
writes anything, as the app's Vouch… does; `--yes` vouches without asking."""

from __future__ import annotations

import pytest

from tests.conftest import waiting_scene
from tests.store.test_vouch_attacker import _admit_puppets


@pytest.fixture
def middle_with_puppets(tmp_path):
    """The middle laptop (a member's laptop let it in) admitted 30 puppets, one named like the
    door laptop, before invitations by members reached one step: they wait for an admin."""
    scene = waiting_scene(tmp_path, before_sync=lambda middle, _minutes: _admit_puppets(
        middle, [f"guest {n}" for n in range(29)] + ["d\u043e\u043er laptop"]))
    for g in scene:
        g.close()
    return tmp_path / "office"


def _written(organiser, data_dir) -> dict[str, str]:
    return {d["name"]: d["state"] for d in organiser("device", "list", "--json", data_dir=data_dir).json()}


def test_a_vouch_that_brings_laptops_asks_first_and_no_answer_writes_nothing(organiser, middle_with_puppets):
    before = _written(organiser, middle_with_puppets)

    unasked = organiser("device", "vouch", "middle laptop", data_dir=middle_with_puppets)
    assert unasked.code == 2 and "--yes" in unasked.err
    assert "31 laptops it admitted that wait for an admin" in unasked.out
    assert "(not the group's 'door laptop': another laptop" in unasked.out
    assert _written(organiser, middle_with_puppets) == before

    refused = organiser("device", "vouch", "middle laptop", data_dir=middle_with_puppets, stdin="no\n")
    assert refused.code == 1 and "Nothing was written." in refused.out
    assert _written(organiser, middle_with_puppets) == before


def test_typing_vouch_or_giving_yes_vouches(organiser, middle_with_puppets):
    typed = organiser("device", "vouch", "middle laptop", data_dir=middle_with_puppets, stdin="vouch\n")
    assert typed.code == 0, typed.err
    assert "The 31 laptops it admitted that waited for an admin come in with it" in typed.out
    after = _written(organiser, middle_with_puppets)
    assert after["middle laptop"] == after["guest 0"] == "member"

    alone = organiser("device", "vouch", "office laptop", data_dir=middle_with_puppets)
    assert alone.code == 2 and "admitted by an admin already" in alone.err


def test_yes_vouches_without_asking(organiser, middle_with_puppets):
    done = organiser("device", "vouch", "middle laptop", "--yes", data_dir=middle_with_puppets)
    assert done.code == 0, done.err
    assert "Type 'vouch'" not in done.out and _written(organiser, middle_with_puppets)["guest 28"] == "member"
