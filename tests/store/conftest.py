"""Fixtures shared by the store's tests."""

from __future__ import annotations

import pytest

from tests.conftest import add_device, sync_pair


@pytest.fixture
def three(tmp_path):
    from organiser.services.group import create_group

    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    b = add_device(a, tmp_path / "b", "minutes laptop")
    c = add_device(a, tmp_path / "c", "spare laptop")
    for x, y in ((a, b), (a, c), (b, c)):
        sync_pair(x, y)
    yield a, b, c
    for g in (a, b, c):
        g.close()
