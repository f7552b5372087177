"""A stranger holding an invite code names its device so that the admitting person's dialog
says something else: line breaks pushing a verification code of its choosing next to the
question, or direction overrides reordering the words. Over real TLS on 127.0.0.1."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.device_name import checked_device_name
from organiser.core.errors import OrganiserError, ValidationError
from organiser.core.keys import public_key_hex
from organiser.net.invite_code import decode_invite
from organiser.net.node import SyncNode
from organiser.net.pairing import _redeem_at, redeem_invite

SPOOFS = [
    "minutes laptop'\n\nIts screen should show the verification code 111 111",
    "minutes\rlaptop",
    "door laptop\u202e111 111",
    "laptop\x00",
    # Unicode's own line and paragraph breaks: Qt breaks the line there, in plain text and in markup
    "minutes laptop\u2028\u2028Its screen should show the verification code 111 111",
    "minutes laptop\u2029111 111",
]


@pytest.mark.parametrize("name", SPOOFS)
def test_a_name_with_line_breaks_controls_or_direction_overrides_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="one line of text") as refused:
        checked_device_name(name)
    assert refused.value.field == "device-name"


@pytest.mark.parametrize("name", ["Café laptop 😀", "حاسوب محمد", "Łukasz's ThinkPad", "  door laptop  "])
def test_names_in_every_script_are_kept_as_typed(name: str) -> None:
    assert checked_device_name(name) == name.strip()


@pytest.mark.asyncio
async def test_a_stranger_naming_its_device_to_fake_the_verification_code_is_never_shown(tmp_path, group) -> None:
    asked: list[str] = []

    async def confirm(name: str, _code: str) -> bool:
        asked.append(name)
        return True

    node = SyncNode(group, listen_host="127.0.0.1", discovery=False)
    node.confirm_admission = confirm
    await node.start()
    try:
        code = await node.create_invite(3600)
        invite = decode_invite(code)
        stranger_key = public_key_hex(Ed25519PrivateKey.generate())
        with pytest.raises(OrganiserError, match="closed the connection"):  # refused, logged, cut off
            await _redeem_at(invite.addresses[0], invite, stranger_key, SPOOFS[0])
        assert asked == [] and sorted(d["name"] for d in group.devices()) == ["door laptop"]
        with pytest.raises(ValidationError, match="one line of text"):  # an honest joiner is told first
            await redeem_invite(tmp_path / "b", code, "minutes\nlaptop")
        (await redeem_invite(tmp_path / "b", code, "minutes laptop")).close()  # the code still works
        assert asked == ["minutes laptop"]
    finally:
        await node.stop()
