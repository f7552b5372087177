"""A removal shown to a laptop counts only if its own membership log, with that removal added, would
have it removed: an admin's signature alone is not enough. A member in bad faith (here an admin's
laptop, modified client) holds removals the rules void: one it signed while demoted, one taking back
its own promotion, another version of a number it signed (a fork). Shown to the founder's laptop,
none may make it say who removed it and when."""

from __future__ import annotations

from pathlib import Path

from organiser.core.changeset import Op
from organiser.core.membership_entries import MEMBERSHIP_KIND, REMOVE
from organiser.services.group import Group, create_group
from organiser.services.removed_here import keep_removal_proof, removed_here
from tests.bad_peer import BadPeer
from tests.conftest import add_device, sync_all


def _room(tmp_path: Path) -> tuple[Group, Group]:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    jo = add_device(office, tmp_path / "jo", "jo laptop")
    sync_all([office, jo], rounds=2)
    office.membership.promote("jo laptop")
    sync_all([office, jo], rounds=2)
    return office, jo


def _removal_of(group: Group, kept: int) -> list[Op]:
    return [Op(MEMBERSHIP_KIND, group.device_id, REMOVE, {"device": group.device_id, "kept": kept})]


def _shown(office: Group, jo: Group, modified: BadPeer, kept: int) -> bool:
    cs = modified.sign(_removal_of(office, kept))
    return keep_removal_proof(office, cs.body, cs.signature)


def test_a_removal_written_while_its_author_was_demoted_proves_nothing_once_it_is_admin_again(tmp_path: Path) -> None:
    office, jo = _room(tmp_path)
    try:
        office.membership.demote("jo laptop")
        sync_all([office, jo], rounds=2)
        modified = BadPeer(jo)  # signs after the demotion it holds: no admin then
        written_while_demoted = modified.sign(_removal_of(office, 1))
        office.membership.promote("jo laptop")  # trusted again later
        assert jo.device_id in office.replica.roster().admins
        assert not keep_removal_proof(office, written_while_demoted.body, written_while_demoted.signature)
        assert removed_here(office) is None
    finally:
        office.close()
        jo.close()


def test_a_removal_taking_back_its_authors_own_promotion_proves_nothing(tmp_path: Path) -> None:
    office, jo = _room(tmp_path)
    try:
        # kept 0: it would take back the founder's promotion of jo, which let jo write it: it counts nowhere
        assert not _shown(office, jo, BadPeer(jo), kept=0)
        assert removed_here(office) is None
    finally:
        office.close()
        jo.close()


def test_another_version_of_a_changeset_number_held_here_proves_nothing(tmp_path: Path) -> None:
    office, jo = _room(tmp_path)
    try:
        modified = BadPeer(jo)
        jo.members.add("Ana López")  # the version everyone holds
        sync_all([office, jo], rounds=1)
        fork = modified.sign(_removal_of(office, 50))  # the same number, signed again: a removal
        assert office.replica.hash_at(jo.device_id, fork.seq) not in (None, fork.hash)
        assert not keep_removal_proof(office, fork.body, fork.signature)
        assert removed_here(office) is None
    finally:
        office.close()
        jo.close()


def test_a_removal_the_rules_let_stand_is_still_kept(tmp_path: Path) -> None:
    office, jo = _room(tmp_path)
    try:
        # what a real removal by jo would keep: all the founder wrote, its promotion of jo included
        kept = office.replica.version_vector()[office.device_id]
        assert _shown(office, jo, BadPeer(jo), kept=kept)
        here = removed_here(office)
        assert here is not None and here.removed_by == "jo laptop" and here.kept == kept
    finally:
        office.close()
        jo.close()
