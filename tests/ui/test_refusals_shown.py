"""What the window says when a peer's change is refused: the sentence the incidents list gives,
naming the device, never the checks' own words (hash chains, changesets)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from organiser.core.changeset import Op, sign_changeset
from organiser.services.group import Group
from tests.bad_peer import BadPeer, new_member
from tests.ui.conftest import second_laptop


@pytest.fixture
def bad_laptop(demo: Group, tmp_path: Path) -> Iterator[Group]:
    yield from second_laptop(demo, tmp_path / "bad", "bad laptop")


def _refused(window: Any, bad_laptop: Group, changeset: Any) -> str:
    result = window.group.replica.apply([changeset], source=bad_laptop.device_id)
    assert result.applied == 0 and result.refused
    return window.statusBar().currentMessage()


def test_a_change_that_breaks_its_authors_chain_is_said_in_words_naming_the_laptop(window, bad_laptop, qtbot):
    peer = BadPeer(bad_laptop)
    shown = _refused(window, bad_laptop, peer.sign(new_member("Ana"), seq=peer.seq + 1, prev="ab" * 32))
    assert shown == ("Refused a change from a peer. 'bad laptop' signed changes that do not link to the ones "
                     "before them (a sign of two versions).")


def test_a_value_nobody_could_type_is_said_in_words_naming_the_laptop(window, bad_laptop, qtbot):
    shown = _refused(window, bad_laptop, BadPeer(bad_laptop).sign(new_member({"first": "Ana"})))
    assert shown == ("Refused a change from a peer. 'bad laptop' sends values nobody could type here, which "
                     "were refused.")
    assert "changeset" not in shown.lower()


def test_a_change_passed_on_with_a_signature_that_does_not_match_names_the_peer_that_sent_it(
        window, bad_laptop, demo, qtbot):
    """Signed with the bad laptop's key in another device's name: no author vouches for it, so the
    laptop that passed it on is named."""
    seq = demo.replica.version_vector()[demo.device_id] + 1
    forged = sign_changeset(bad_laptop.private_key(), demo.id, demo.device_id, seq,
                            demo.replica.hash_at(demo.device_id, seq - 1), demo.replica.clock.now(),
                            [Op("member", "f" * 32, "name", "Forged")])
    shown = _refused(window, bad_laptop, forged)
    assert shown == ("Refused a change from a peer. 'bad laptop' passed on changes whose signatures do not match "
                     "their authors.")
