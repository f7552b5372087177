"""A stranger sniffing the Wi-Fi cannot read inside TLS, but sees how long each record is. The
first thing a laptop sends inside TLS is its membership proof: one tag per key it holds, and it
holds one more key for each device it admitted with an invite this week. Were the proof's length
to follow that count, the admin who let three new members in on Monday would send a longer first
record than anyone else all week, at every venue: a stranger would tell that laptop from the
others and follow it from one evening to the next, whatever the daily tag and new ports hide.

The stranger here is a TCP relay on 127.0.0.1 between two laptops, as the Wi-Fi carries their
bytes: it reads only the TLS record headers (type and length), as a sniffer does."""

from __future__ import annotations

import asyncio

import pytest

from organiser.net.link import sync_with
from organiser.net.pairing import redeem_invite
from tests.net.test_node import node

pytestmark = pytest.mark.asyncio
APPLICATION_DATA = 23  # what every TLS 1.3 record looks like once the handshake is under way


class Sniffer:
    """Relays each connection to `port` and notes, per direction, each TLS record's type and length."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.connections: list[dict[str, list[tuple[int, int]]]] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        seen: dict[str, list[tuple[int, int]]] = {"client": [], "server": []}
        self.connections.append(seen)
        await asyncio.gather(self._pipe(reader, up_writer, seen["client"]),
                             self._pipe(up_reader, writer, seen["server"]))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    records: list[tuple[int, int]]) -> None:
        buffer = b""
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
                buffer += data
                while len(buffer) >= 5 and len(buffer) >= 5 + int.from_bytes(buffer[3:5], "big"):
                    length = int.from_bytes(buffer[3:5], "big")
                    records.append((buffer[0], length))
                    buffer = buffer[5 + length:]
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


def first_record_after_finished(seen: dict[str, list[tuple[int, int]]]) -> int:
    """The length of the client's first record after its handshake: its membership proof. A member
    always shows a connection certificate, so its Certificate, CertificateVerify and Finished go
    first, encrypted, one record each."""
    encrypted = [length for kind, length in seen["client"] if kind == APPLICATION_DATA]
    assert len(encrypted) >= 4, seen
    return encrypted[3]


async def test_the_first_record_a_laptop_sends_does_not_say_how_many_devices_it_admitted_this_week(tmp_path, group):
    admin = node(group)
    await admin.start()
    joined = []
    try:
        for name in ("minutes laptop", "treasurer laptop", "outreach laptop"):
            joined.append(await redeem_invite(tmp_path / name, await admin.create_invite(3600), name))
        for laptop in joined:  # each holds the whole roster, as after the evening
            await sync_with(laptop, "127.0.0.1", admin.port)
        minutes, treasurer, _outreach = joined
        await admin.stop()
        listening = node(treasurer)
        await listening.start()
        sniffer = Sniffer(listening.port)
        port = await sniffer.start()
        try:
            await sync_with(group, "127.0.0.1", port)  # the admin, who let three laptops in this week
            await sync_with(minutes, "127.0.0.1", port)  # a laptop that let nobody in
        finally:
            await sniffer.stop()
            await listening.stop()
        admins, members = (first_record_after_finished(seen) for seen in sniffer.connections)
        assert admins == members, (
            f"the admin's first record is {admins} bytes, another member's {members}: a sniffer tells them apart")
    finally:
        await admin.stop()
        for other in joined:
            other.close()
