"""A member device that misbehaves, for the namespace tests. Run inside a test namespace:

    python -m tests.net.attacker DATA_DIR HOST:PORT garbage|oversize|forged|max-clock|absurd

Prints what the node answered (or that it kept the connection open) as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from organiser.core.changeset import GENESIS, sign_changeset
from organiser.net.invite_code import split_address
from organiser.net.transport import close_quietly
from organiser.services.group import open_group
from organiser.sync import protocol as p
from tests.net.member_link import member_streams


async def attack(data_dir: Path, address: str, mode: str) -> dict:
    group = open_group(data_dir)
    host, port = split_address(address)
    reader, writer = await member_streams(group, host, port)
    writer.write(p.encode_hello(group.device_id, group.replica.version_vector()))
    if mode not in ("garbage", "oversize"):
        # The node's HELLO first: on a loaded machine its handshake can take longer than the
        # answer is awaited below, and the node would then find us gone before reading a frame.
        await _read_frame(reader, 30)
    if mode == "garbage":
        writer.write(b"\x07\x00 this is not a frame of any protocol" * 10)
    elif mode == "oversize":
        writer.write(p.HEADER.pack(p.PROTOCOL_VERSION, int(p.FrameType.CHANGES), p.MAX_FRAME + 1) + b"\0" * 1000)
    elif mode == "forged":
        head = group.replica.version_vector().get(group.device_id, 0)
        prev = group.replica.hash_at(group.device_id, head) if head else GENESIS
        good = sign_changeset(group.private_key(), group.id, group.device_id, head + 1, prev,
                              group.replica.clock.now(), [])
        writer.write(p.encode_changes([(good.body, bytes([good.signature[0] ^ 1]) + good.signature[1:])]))
    elif mode == "max-clock":  # validly signed, stamped at the largest clock value the format takes
        from organiser.core.changeset import MAX_INT, Op
        from organiser.core.records import new_id

        head = group.replica.version_vector().get(group.device_id, 0)
        prev = group.replica.hash_at(group.device_id, head) if head else GENESIS
        far = sign_changeset(group.private_key(), group.id, group.device_id, head + 1, prev, MAX_INT - 1,
                             [Op("member", new_id(), "name", "From the end of time")])
        writer.write(p.encode_changes([(far.body, far.signature)]))
    elif mode == "absurd":  # every absurd value, over and over, after one good changeset
        from tests.bad_peer import BadPeer, absurd_ops, new_member

        modified = BadPeer(group)
        good = modified.sign(new_member("Sent by the modified client"))
        bad = [modified.sign(ops) for n in range(15) for why, ops in absurd_ops("0" * 32, "1" * 32).items()
               if n == 0 or why != "7 MiB name"]  # one 7 MiB changeset is enough
        for part in p.batches([(good.body, good.signature), *((cs.body, cs.signature) for cs in bad)]):
            writer.write(p.encode_changes(part))
    try:
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 3)
        outcome = {"closed": True, "answer": answer.decode(errors="replace")}
    except TimeoutError:
        outcome = {"closed": False}
    except ConnectionError:  # the node refused and closed before the last bytes were taken
        outcome = {"closed": True, "answer": ""}
    await close_quietly(writer)
    group.close()
    return outcome


async def _read_frame(reader: asyncio.StreamReader, timeout: float) -> p.FrameType:
    header = await asyncio.wait_for(reader.readexactly(p.HEADER.size), timeout)
    frame_type, length = p.parse_header(header)
    await asyncio.wait_for(reader.readexactly(length), timeout)
    return frame_type


if __name__ == "__main__":
    print(json.dumps(asyncio.run(attack(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))))
