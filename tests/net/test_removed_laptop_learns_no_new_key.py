"""A removed laptop must not learn the keys the group moves to at its removal: the folder key and the
discovery key are chained from the hash of every changeset that removed a device (store/folders.py
`epoch_secrets`, store/membership.py `discovery_keys`), "so a removal starts a new key that the removed
device never learns (it never receives its own removal)". Told it was removed, the door laptop must not
be handed that very changeset (a build of this app did, to say who removed it and when): from its body
and signature, the hash, and so the group's new folder key, to open what the group writes to its shared
folder from then on (the stolen laptop's Nextcloud client still syncs it), and the new discovery key, to
find the group's laptops and pass their membership proof. Real TLS on 127.0.0.1."""

from __future__ import annotations

import base64

import pytest

from organiser.net.handshake import PeerRefused, member_handshake
from organiser.net.transport import close_quietly, dial
from organiser.services.group import Group
from tests.net.test_node import office_and_door, until

pytestmark = pytest.mark.asyncio


def _removal_of(admin: Group, device: str) -> tuple[bytes, str]:
    """The signature and hash of the admin's changeset that removed `device` (its last)."""
    signature, hashed = admin.db.execute("SELECT signature, hash FROM change_log WHERE author = ? ORDER BY seq DESC "
                                         "LIMIT 1", [admin.device_id]).fetchone()
    assert device in admin.replica.roster().limits
    return bytes(signature), hashed


def _shows(data: bytes, removal: tuple[bytes, str]) -> bool:
    """Whether `data` holds the removal's signature (raw, base64 or hex) or its hash."""
    signature, hashed = removal
    return any(form in data for form in (signature, base64.b64encode(signature), signature.hex().encode(),
                                         hashed.encode()))


def _everything_in(group: Group) -> bytes:
    """Every value of every table of the group's database, as bytes."""
    tables = [name for (name,) in group.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return b"".join(bytes(v) if isinstance(v, bytes) else str(v).encode()
                    for table in tables for row in group.db.execute(f'SELECT * FROM "{table}"') for v in row)


async def test_the_door_laptop_knocking_after_its_removal_receives_nothing_of_it(tmp_path, group):
    async with office_and_door(group, tmp_path / "door") as (office, door, door_node):
        await door_node.stop()
        group.membership.remove("door laptop 2")
        removal = _removal_of(group, door.device_id)
        link = await dial("127.0.0.1", office.port)  # the door laptop knocks, as its node or `organiser sync` does
        received = bytearray()
        for name in ("read", "readexactly", "readuntil", "readline"):  # every byte that came out of TLS
            method = getattr(link.reader, name)

            async def recording(*args, _method=method, **kwargs):
                data = await _method(*args, **kwargs)
                received.extend(data)
                return data

            setattr(link.reader, name, recording)
        with pytest.raises(PeerRefused, match="removed from the group"):
            await member_handshake(door, link.reader, link.writer, link.channel)
        await close_quietly(link.writer)
        assert received and not _shows(bytes(received), removal)


async def test_the_door_laptop_cut_off_at_its_removal_keeps_nothing_of_it(tmp_path, group):
    from organiser.services.removed_here import REMOVED_NOTICE

    async with office_and_door(group, tmp_path / "door") as (_office, door, door_node):
        group.membership.remove("door laptop 2")
        await until(lambda: bool(door.replica.meta(REMOVED_NOTICE)), what="the door laptop told")
        await door_node.stop()
        removal = _removal_of(group, door.device_id)
        assert _shows(_everything_in(group), removal)  # the office holds it, as it should
        assert not _shows(_everything_in(door), removal)
