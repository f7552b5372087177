"""A removed laptop must not learn the keys the group moves to at its removal: the folder key and the
discovery key are chained from the hash of every changeset that removed a device (store/folders.py
`epoch_secrets`, store/membership.py `discovery_keys`), "so a removal starts a new key that the removed
device never learns (it never receives its own removal)". Told it was removed, the door laptop was
handed that very changeset, body and signature (to check who removed it): from it, the hash, and so
the group's new folder key, to open what the group writes to its shared folder from then on (the stolen
laptop's Nextcloud client still syncs it), and the new discovery key, to find the group's laptops and
pass their membership proof. Real TLS on 127.0.0.1."""

from __future__ import annotations

import hashlib

import pytest

from organiser.core.changeset import changeset_hash
from organiser.core.errors import OrganiserError
from organiser.net.handshake import PeerRefused, member_handshake
from organiser.net.transport import close_quietly, dial
from organiser.services.group import Group
from organiser.store.folders import epoch_secrets
from organiser.store.membership import discovery_keys
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio


def _keys_worked_out(removed: Group, shown: tuple[bytes, bytes] | None) -> set[bytes]:
    """The folder and discovery keys the removed laptop can work out: those it held, and each chained
    with the hash of a changeset it was handed."""
    secrets, discovery = epoch_secrets(removed.db), discovery_keys(removed.db, 1)
    worked = {secrets[-1], discovery[0]}
    if shown is not None:
        removal = changeset_hash(*shown).encode()
        worked.add(hashlib.sha256(secrets[-1] + removal).digest())
        founder = removed.db.execute("SELECT value FROM meta WHERE key = 'founder'").fetchone()[0]
        first = removed.db.execute("SELECT hash FROM changes WHERE author = ? AND seq = 1", [founder]).fetchone()[0]
        digest = hashlib.sha256(b"organiser discovery key v2")
        digest.update(first.encode())
        digest.update(removal)
        worked.add(digest.digest())
    return worked


async def test_the_door_laptop_told_it_was_removed_cannot_work_out_the_groups_new_keys(tmp_path, group):
    office = node(group)
    await office.start()
    door = await joined(office, tmp_path / "door", "door laptop 2")
    door_node = node(door, office)
    await door_node.start()
    try:
        await until(lambda: [x.state for x in office.peers()] == ["connected"], what="the door connected")
        await door_node.stop()
        group.membership.remove("door laptop 2")
        new_folder_key, new_discovery_key = epoch_secrets(group.db)[-1], discovery_keys(group.db, 1)[0]
        assert {new_folder_key, new_discovery_key}.isdisjoint(_keys_worked_out(door, None))
        link = await dial("127.0.0.1", office.port)  # the door laptop knocks, as its node or `organiser sync` does
        with pytest.raises(PeerRefused, match="removed from the group") as refused:
            await member_handshake(door, link.reader, link.writer, link.channel)
        await close_quietly(link.writer)
        worked = _keys_worked_out(door, refused.value.removal)
        assert new_folder_key not in worked
        assert new_discovery_key not in worked
    finally:
        await door_node.stop()
        await office.stop()
        door.close()


async def test_the_door_laptop_cut_off_at_its_removal_cannot_work_out_the_groups_new_keys(tmp_path, group):
    from organiser.services.removed_here import REMOVED_NOTICE

    office = node(group)
    await office.start()
    door = await joined(office, tmp_path / "door", "door laptop 2")
    door_node = node(door, office)
    await door_node.start()
    shown: list[tuple[bytes, bytes] | None] = []
    learn = door_node._learn_removal
    door_node._learn_removal = lambda told_by, removal=None: (shown.append(removal), learn(told_by, removal))[1]
    try:
        await until(lambda: [x.state for x in office.peers()] == ["connected"], what="the door connected")
        group.membership.remove("door laptop 2")
        await until(lambda: bool(door.replica.meta(REMOVED_NOTICE)), what="the door laptop told")
        new_folder_key, new_discovery_key = epoch_secrets(group.db)[-1], discovery_keys(group.db, 1)[0]
        for removal in shown:
            worked = _keys_worked_out(door, removal)
            assert new_folder_key not in worked and new_discovery_key not in worked
    finally:
        await door_node.stop()
        await office.stop()
        door.close()


async def test_organiser_sync_from_the_removed_door_laptop_is_still_told_it_was_removed(tmp_path, group):
    from organiser.net.link import sync_with

    office = node(group)
    await office.start()
    door = await joined(office, tmp_path / "door", "door laptop 2")
    try:
        await sync_with(door, "127.0.0.1", office.port)
        group.membership.remove("door laptop 2")
        with pytest.raises(OrganiserError, match="removed from the group"):
            await sync_with(door, "127.0.0.1", office.port)
        assert door.membership_status()["removed"]
    finally:
        door.close()
        await office.stop()
