"""A laptop still running the previous protocol (tests/net/old_protocol.py, rebuilt from that
code) meets an upgraded one on 127.0.0.1: the upgraded side says, in its log, in `organiser
status` and to the app, that the laptop must be updated; the old side sees its handshake refused."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys

import pytest
from zeroconf.asyncio import AsyncServiceInfo

from organiser.net.discovery import SERVICE_TYPE, old_sighting_from, sighting_from
from tests.net.old_protocol import OldLaptop, old_txt_record
from tests.net.test_node import node, until

pytestmark = pytest.mark.asyncio

UPDATE = "runs an older Organiser and cannot sync with this device: update the app on that laptop"


async def test_an_old_laptop_dialling_in_is_shown_as_needing_an_update_on_this_side(tmp_path, group, data_dir,
                                                                                   caplog):
    caplog.set_level(logging.WARNING)
    old = OldLaptop(tmp_path / "old", group.id)
    a = node(group)
    await a.start()
    try:
        said_there = await old.sync("127.0.0.1", a.port)
        # The old side: its own sentence (it trusts only its group's CA, which this side no longer has).
        assert "is not a device of this group" in said_there and "CERTIFICATE_VERIFY_FAILED" in said_there
        await until(lambda: UPDATE in caplog.text, what="the log line")
        assert a.outdated_peers() == [f"a laptop at 127.0.0.1 {UPDATE}."]
        status = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), "status"],
                                capture_output=True, text=True, timeout=60)
        assert f"update needed: a laptop at 127.0.0.1 {UPDATE}." in status.stdout, status.stderr
    finally:
        await a.stop()


async def test_dialling_an_old_laptop_of_the_group_names_it_and_says_to_update_it(tmp_path, group, caplog):
    caplog.set_level(logging.WARNING)
    old = OldLaptop(tmp_path / "old", group.id)
    group.admit_device(old.public_hex, "minutes laptop")  # it was on the roster before the upgrade
    server = await old.serve()
    port = server.sockets[0].getsockname()[1]
    a = node(group)
    await a.start()
    try:
        with pytest.raises(Exception, match="'minutes laptop' at 127.0.0.1 " + UPDATE):
            await a.connect("127.0.0.1", port)
        assert a.outdated_peers() == [f"'minutes laptop' at 127.0.0.1 {UPDATE}."]
        assert "a laptop at 127.0.0.1 " + UPDATE in caplog.text  # its name stays out of the log
    finally:
        await a.stop()
        server.close()


async def test_an_old_laptop_of_another_group_is_not_reported(tmp_path, group):
    old = OldLaptop(tmp_path / "old", "0" * 32)
    server = await old.serve()
    port = server.sockets[0].getsockname()[1]
    a = node(group)
    await a.start()
    try:
        with pytest.raises(Exception, match="not a device of this group"):
            await a.connect("127.0.0.1", port)
        assert a.outdated_peers() == []
    finally:
        await a.stop()
        server.close()


async def test_an_announcement_in_the_old_format_is_told_apart():
    old = AsyncServiceInfo(SERVICE_TYPE, f"organiser-abc.{SERVICE_TYPE}", port=4242,
                           addresses=[socket.inet_aton("10.77.0.5")], properties=old_txt_record("ab" * 16, "cd" * 8))
    assert sighting_from(old, frozenset({"cd" * 8}), "") is None  # never dialled as a node of the group
    found = old_sighting_from(old)
    assert found is not None and found.addresses == ("10.77.0.5",) and found.port == 4242


async def test_the_node_behind_an_old_announcement_is_probed_and_named(tmp_path, group):
    """What the node does on hearing an old-format announcement: dial it without a certificate,
    read the certificate it shows, and note it if it is of this group."""
    from organiser.net.outdated import messages_for, note_if_old

    old = OldLaptop(tmp_path / "old", group.id)
    group.admit_device(old.public_hex, "minutes laptop")
    server = await old.serve()
    try:
        await note_if_old(group, "127.0.0.1", server.sockets[0].getsockname()[1])
        assert messages_for(group) == [f"'minutes laptop' at 127.0.0.1 {UPDATE}."]
    finally:
        server.close()


OLD_SIDE = "This laptop runs an older Organiser than the group: update the app to keep syncing"


def upgraded_from(group, old: OldLaptop, folder) -> None:  # type: ignore[no-untyped-def]
    """What the upgrade did on this device: while the old group secret was still there, the old
    CA signed the certificate that answers old laptops (services/old_laptops.py)."""
    from organiser.services.old_laptops import keep_answer

    folder.mkdir()
    (folder / "group.secret").write_text(old.secret.hex())
    keep_answer(group.db, folder, group.id)


async def upgraded_beside_old_laptop(tmp_path, group) -> tuple[OldLaptop, asyncio.Server]:  # type: ignore[no-untyped-def]
    """The group's old 'minutes laptop', still on the previous protocol and serving, beside this upgraded device."""
    old = OldLaptop(tmp_path / "old", group.id)
    group.admit_device(old.public_hex, "minutes laptop")
    upgraded_from(group, old, tmp_path / "before-upgrade")
    return old, await old.serve()


async def test_an_old_laptop_dialling_in_reads_in_its_own_words_that_it_must_update(tmp_path, group, caplog):
    caplog.set_level(logging.WARNING)
    from organiser.net.outdated import note_if_old

    old, server = await upgraded_beside_old_laptop(tmp_path, group)
    a = node(group)
    await a.start()
    try:
        # Recognised first by its certificate (its old-format announcement probed), then answered.
        await note_if_old(group, "127.0.0.1", server.sockets[0].getsockname()[1])
        # What the previous `organiser sync` printed, word for word, after "organiser: ".
        said_there = await old.sync("127.0.0.1", a.port)
        assert said_there == f"sync with 127.0.0.1:{a.port} did not complete: the peer refused us: {OLD_SIDE}."
        # This side names it, from the certificate the old laptop showed.
        await until(lambda: a.outdated_peers() == [f"'minutes laptop' at 127.0.0.1 {UPDATE}."], what="the note")
        assert f"a laptop at 127.0.0.1 {UPDATE}" in caplog.text  # its name stays out of the log
        # Nothing else ever comes on that connection: the ERROR frame, then the end.
        from organiser.net.outdated import old_error_frame
        from tests.net.old_protocol import HELLO, encode_old_frame

        reader, writer = await asyncio.open_connection("127.0.0.1", a.port, ssl=old.client_context(),
                                                       server_hostname="organiser", ssl_handshake_timeout=5)
        writer.write(encode_old_frame(HELLO, {"device": old.device_id, "vector": {}}))
        received = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert received == old_error_frame(OLD_SIDE)
    finally:
        await a.stop()
        server.close()


async def test_dialling_an_old_laptop_of_the_group_tells_it_to_update(tmp_path, group):
    old, server = await upgraded_beside_old_laptop(tmp_path, group)
    a = node(group)
    await a.start()
    try:
        with pytest.raises(Exception, match="'minutes laptop' at 127.0.0.1 " + UPDATE):
            await a.connect("127.0.0.1", server.sockets[0].getsockname()[1])
        # The old node's log (session.run, as it was) says why the conversation ended.
        await until(lambda: old.log, what="the old node's log line")
        assert len(old.log) == 1 and old.log[0].endswith(f"ended: the peer refused us: {OLD_SIDE}")
    finally:
        await a.stop()
        server.close()


async def test_an_old_laptop_of_another_group_gets_no_answer(tmp_path, group):
    """The minted certificate answers only laptops that show a certificate of this group's old CA."""
    from organiser.net.outdated import note_if_old

    ours = OldLaptop(tmp_path / "ours", group.id)
    upgraded_from(group, ours, tmp_path / "before-upgrade")
    server = await ours.serve()
    stranger = OldLaptop(tmp_path / "old", group.id)  # same group id, another secret: another CA
    a = node(group)
    await a.start()
    try:
        await note_if_old(group, "127.0.0.1", server.sockets[0].getsockname()[1])  # the address is answered
        said_there = await stranger.sync("127.0.0.1", a.port)
        assert "is not a device of this group" in said_there and OLD_SIDE not in said_there
    finally:
        await a.stop()
        server.close()


async def test_the_minted_certificate_is_not_shown_to_an_address_not_recognised(tmp_path, group):
    """It names the group's id (in the old CA's name) and never changes: whoever sends the old
    server name from an address where no old laptop of the group was recognised gets the
    connection certificate, as anyone else."""
    from cryptography import x509

    from organiser.net.transport import OLD_SERVER_NAME, pairing_context

    old = OldLaptop(tmp_path / "old", group.id)
    upgraded_from(group, old, tmp_path / "before-upgrade")
    a = node(group)
    await a.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", a.port, ssl=pairing_context(),
                                                       server_hostname=OLD_SERVER_NAME, ssl_handshake_timeout=5)
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        writer.close()
        assert group.id.encode() not in der and bytes.fromhex(group.id) not in der
        assert x509.load_der_x509_certificate(der).issuer != x509.load_pem_x509_certificate(old.ca_pem).subject
    finally:
        await a.stop()
