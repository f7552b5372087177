"""A laptop removed from one group (the food bank removed Kofi's laptop, which is still in the tenant
union) is told so by the first member it dials; dialling again must not make it forget. Before, the
handshake alone (which its keys from before the removal still pass) counted as being admitted: the
laptop forgot, dialled, was told again, every few seconds for good, and its status bar flickered
between "removed" and not (seen in the two-groups walk, 2026-12-02). On 127.0.0.1."""

from __future__ import annotations

import logging

import pytest

from organiser.core.errors import OrganiserError
from tests.net.test_node import joined, node

pytestmark = pytest.mark.asyncio


async def test_a_removed_laptop_dialling_a_member_again_stays_removed(tmp_path, group, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    bank = node(group)
    await bank.start()
    kofi_group = await joined(bank, tmp_path / "kofi", "kofi laptop")
    kofi = node(kofi_group)  # no peers of its own: each dial below is a person's Connect to address…
    await kofi.start()
    address = f"127.0.0.1:{bank.port}"
    try:
        group.membership.remove(kofi_group.device_id)
        # told the first time; then the bank's laptop, which remembers where Kofi's listens, dials it
        for dialler, where in ((kofi, address), (bank, f"127.0.0.1:{kofi.port}"), (kofi, address)):
            try:
                await dialler._dial(where, None)  # the whole conversation, until the bank's side closes it
            except OrganiserError:
                pass
            assert kofi_group.membership_status()["removed"]
        assert "forgetting that it was told it was removed" not in caplog.text
    finally:
        await kofi.stop()
        await bank.stop()
        kofi_group.close()
