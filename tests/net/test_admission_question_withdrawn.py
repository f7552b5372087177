"""The person at the admitting laptop is asked whether to admit a device redeeming an invite. When
the new laptop goes away meanwhile (its command stopped, its Wi-Fi gone), the question goes too: it
stayed for two minutes, and a try after it brought a second question with another verification
code on top of it (met in the seized-laptop walk, 2026-12-02). Admitting the stale one would have let
in a device nobody holds any more and spent the invite the person in front of them was redeeming."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.net.pairing import redeem_invite
from tests.net.test_node import node, until

pytestmark = pytest.mark.asyncio


async def test_the_question_is_withdrawn_when_the_new_laptop_goes_away(tmp_path, group):
    a = node(group)
    asked: list[str] = []
    withdrawn: list[float] = []

    async def person_who_has_not_answered_yet(name: str, code: str) -> bool:
        asked.append(code)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            withdrawn.append(time.monotonic())  # the app closes the question here
            raise
        return True

    a.confirm_admission = person_who_has_not_answered_yet
    await a.start()
    try:
        joining = asyncio.ensure_future(redeem_invite(tmp_path / "b", await a.create_invite(3600), "minutes laptop"))
        await until(lambda: asked, 10, "the question to be asked")
        joining.cancel()  # the new laptop goes away
        gone = time.monotonic()
        await asyncio.gather(joining, return_exceptions=True)
        await until(lambda: withdrawn, 10, "the question to be withdrawn")
        assert withdrawn[0] - gone < 5
        assert sorted(d["name"] for d in group.devices()) == ["door laptop"]
    finally:
        await a.stop()
