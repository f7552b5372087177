"""The examiner reads the seized laptop's systemd journal: a desktop session sends every app's
standard error there, and `organiser serve` run as a service sends its output there too. The
journal is kept on the disk, outside the encrypted store, for weeks. What the app logs during an
evening (a laptop joining by invite on the LAN and through a shared folder, edits syncing, a stick
pulled out, an older laptop met) names no group, member, laptop, event or folder of the group:
ids, counts and addresses only.

Nodes run in this process on 127.0.0.1 (no mDNS, nothing leaves the machine)."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from organiser.net.node import SyncNode
from organiser.net.outdated import seen_old_laptop
from organiser.services.folder_invites import make_folder_invite, redeem_folder_invite
from organiser.services.folders import FolderWatcher
from organiser.services.group import create_group
from tests.folder.conftest import folders
from tests.net.test_node import joined, node, until

GROUP = "Marsh Lane Tenants Union"
SECRETS = (GROUP, "Tenants", "Ana López", "Ana", "Rent strike", "Bo's laptop", "Marsh Lane")


def named(records: list[logging.LogRecord]) -> list[str]:
    """Every logged line (tracebacks included) that names one of the group's secrets."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [formatter.format(r) for r in records]
    return [line for line in lines if any(s in line for s in SECRETS)]


@pytest.mark.asyncio
async def test_an_evening_of_lan_and_folder_sync_logs_no_name_of_the_group(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    office = create_group(tmp_path / "office", GROUP, "Ana López's laptop")
    office_node = node(office)
    await office_node.start()
    door = await joined(office_node, tmp_path / "door", "Bo's laptop")
    door_node = node(door, office_node)
    await door_node.start()
    stick = tmp_path / "media" / GROUP  # a folder named as people name them
    far = None
    try:
        await until(lambda: [x.state for x in office_node.peers()] == ["connected"], what="the door connected")
        ana = office.members.add("Ana López", emails=["ana@example.org"])
        event = office.events.add("Rent strike assembly", "2026-12-03T19:00")
        await until(lambda: door.events.list() != [], what="the event reached the door")
        door.events.checkin(event.id, ana.id, "2026-12-03T19:05")
        seen_old_laptop(office, "127.0.0.9", door.device_id)

        stick.mkdir(parents=True)
        folders(office).add(str(stick))
        folders(office).sync()
        code = make_folder_invite(office, str(stick), 3600)
        far = redeem_folder_invite(tmp_path / "far", str(stick), code, "Ana López's other laptop")
        watcher = FolderWatcher(office.replica)
        try:
            await watcher.pass_now()  # admits the far laptop
            stick.rename(tmp_path / "pocket")  # the stick pulled out
            await watcher.pass_now()
            (tmp_path / "pocket").rename(stick)
            await watcher.pass_now()
        finally:
            await watcher.stop()
        assert "Ana López's other laptop" in {d.get("name") for d in office.devices()}
    finally:
        await door_node.stop()
        await office_node.stop()
        for group in (far, door, office):
            if group is not None:
                group.close()
    assert caplog.records, "the flow logged nothing: the test would prove nothing"
    assert (leaks := named(caplog.records)) == [], "\n".join(leaks)


def test_serve_run_as_a_service_names_no_group_in_its_output(tmp_path: Path) -> None:
    """Under systemd (no terminal) what `organiser serve` prints goes to the journal."""
    from tests.cli.conftest import ROOT, clean_env

    home = tmp_path / "home"
    home.mkdir()
    data = tmp_path / "data"
    create_group(data, GROUP, "Ana López's laptop").close()
    env = clean_env(home)
    proc = subprocess.Popen([sys.executable, "-m", "organiser", "--data-dir", str(data), "serve",
                             "--listen", "127.0.0.1:0", "--no-discovery"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    said = first + out + err
    assert "Serving group" in said, said
    assert [s for s in SECRETS if s in said] == [], said



def _said(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(r) for r in records)


@pytest.mark.asyncio
async def test_an_invite_leaves_no_verification_code_in_the_log(tmp_path: Path, caplog) -> None:
    """The six digits both screens showed prove which laptop was let in, face to face: read from
    a seized laptop's journal, they tell the examiner which laptop joined at that meeting."""
    from organiser.net.pairing import redeem_invite

    caplog.set_level(logging.DEBUG)
    office = create_group(tmp_path / "office", GROUP, "Ana López's laptop")
    office_node = node(office)
    await office_node.start()
    shown: list[str] = []
    door = None
    try:
        code = await office_node.create_invite(3600)
        door = await redeem_invite(tmp_path / "door", code, "Bo's laptop", on_verification=shown.append)
    finally:
        if door is not None:
            door.close()
        await office_node.stop()
        office.close()
    said = _said(caplog.records)
    assert shown and "admitted device" in said, said
    assert shown[0] not in said, said


@pytest.mark.asyncio
async def test_a_spoken_invite_leaves_neither_its_code_nor_the_verification_code_in_the_log(
        tmp_path: Path, caplog) -> None:
    """The spoken code's number (its nameplate) and words, and the verification code."""
    from organiser.net.spoken_join import redeem_spoken_invite
    from tests.net.test_spoken_invite import at

    caplog.set_level(logging.DEBUG)
    office = create_group(tmp_path / "office", GROUP, "Ana López's laptop")
    office_node = node(office)
    await office_node.start()
    shown: list[str] = []
    door = None
    try:
        spoken = await office_node.offer_spoken_invite()
        door = await redeem_spoken_invite(tmp_path / "door", spoken.text, "Bo's laptop",
                                          on_verification=shown.append, find=at(spoken))
        await spoken.outcome()
    finally:
        if door is not None:
            door.close()
        await office_node.stop()
        office.close()
    said = _said(caplog.records)
    assert shown and "admitted device" in said and "spoken invite" in said, said
    assert shown[0] not in said, said
    assert f"{spoken.code.nameplate}-" not in said and spoken.text not in said, said
    assert not [word for word in spoken.code.words if re.search(rf"\b{re.escape(word)}\b", said)], said


@pytest.mark.asyncio
async def test_a_members_parting_words_are_not_written_into_the_log(tmp_path: Path, caplog) -> None:
    """A member in bad faith ends a conversation with an ERROR of its own words (up to 1,000
    characters): a member's name and phone, there to be found in the seized laptop's journal."""
    from organiser.sync import protocol as p
    from tests.net.member_link import member_streams

    caplog.set_level(logging.DEBUG)
    office = create_group(tmp_path / "office", GROUP, "office laptop")
    office_node = node(office)
    await office_node.start()
    door = None
    try:
        door = await joined(office_node, tmp_path / "door", "door laptop")
        ended_before = _said(caplog.records).count("conversation with")
        _reader, writer = await member_streams(door, "127.0.0.1", office_node.port)
        writer.write(p.encode_error("Ana López, +44 7700 900123, lives at 3 Marsh Lane"))
        await writer.drain()
        await until(lambda: _said(caplog.records).count("conversation with") > ended_before,
                    what="the conversation ended")
        writer.close()
    finally:
        await office_node.stop()
        office.close()
        if door is not None:
            door.close()
    said = _said(caplog.records)
    assert "Ana López" not in said and "7700" not in said and "Marsh Lane" not in said, said


@pytest.mark.asyncio
async def test_what_a_laptop_dialled_says_in_refusing_is_not_written_into_the_log(tmp_path: Path, caplog) -> None:
    """Whoever answers at an address this laptop dials (a static peer, an address remembered from
    another evening) may refuse it with up to 4,096 characters of its own words, before proving
    anything: a member's name there would land in the seized laptop's journal."""
    import asyncio

    from organiser.net.credentials import connection_certificate
    from organiser.net.transport import server_context
    from organiser.sync import protocol as p

    async def refuse(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(p.encode_error("Ana López, +44 7700 900123, lives at 3 Marsh Lane"))
        await writer.drain()
        writer.close()

    stranger = await asyncio.start_server(refuse, "127.0.0.1", 0, ssl=server_context(connection_certificate()))
    caplog.set_level(logging.DEBUG)
    office = create_group(tmp_path / "office", GROUP, "office laptop")
    office_node = SyncNode(office, listen_host="127.0.0.1", discovery=False,
                           static_peers=[("127.0.0.1", stranger.sockets[0].getsockname()[1])])
    await office_node.start()
    try:
        await until(lambda: "could not sync with" in _said(caplog.records), what="the dialled laptop refused")
    finally:
        await office_node.stop()
        office.close()
        stranger.close()
    said = _said(caplog.records)
    assert "refused us" in said, said
    assert "Ana López" not in said and "7700" not in said and "Marsh Lane" not in said, said
