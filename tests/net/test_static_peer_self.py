"""An admin's `peers` list is the same file on every laptop, so it names each laptop itself too:
a node does not dial its own address (it was refused as "the same device", again and again,
with a warning each time). Real TLS sockets on 127.0.0.1, nodes in this process."""

from __future__ import annotations

import logging
import socket

import pytest

from organiser.net import outbound
from organiser.net.node import SyncNode
from organiser.net.pairing import redeem_invite
from tests.net.test_node import until

pytestmark = pytest.mark.asyncio


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_node_skips_its_own_address_in_the_static_peers(tmp_path, group, monkeypatch, caplog):
    dialled: list[tuple[str, int]] = []
    real_dial = outbound.dial

    async def recording_dial(host: str, port: int, **kwargs):  # type: ignore[no-untyped-def]
        dialled.append((host, port))
        return await real_dial(host, port, **kwargs)

    monkeypatch.setattr(outbound, "dial", recording_dial)
    caplog.set_level(logging.INFO)
    a = SyncNode(group, listen_host="127.0.0.1", discovery=False)
    await a.start()
    b_group = await redeem_invite(tmp_path / "b", await a.create_invite(3600), "laptop2")
    own = free_port()
    b = SyncNode(b_group, listen_host="127.0.0.1", listen_port=own, discovery=False,
                 static_peers=[("127.0.0.1", own), ("localhost", own), ("127.0.0.1", a.port)])
    try:
        await b.start()
        await until(lambda: [p.state for p in a.peers()] == ["connected"], 10, "B linked to A")
        assert dialled == [("127.0.0.1", a.port)]
        assert "same device" not in caplog.text
    finally:
        await b.stop()
        await a.stop()
        b_group.close()
