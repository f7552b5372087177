"""Fixtures shared by the store's tests."""

from __future__ import annotations

from typing import Any

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


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of entries of each evaluation of the membership log, in order."""
    from organiser.store import membership

    sizes: list[int] = []
    evaluate = membership.evaluate

    def counted(entries: Any, *args: Any, **kwargs: Any) -> Any:
        entries = list(entries)
        sizes.append(len(entries))
        return evaluate(entries, *args, **kwargs)

    monkeypatch.setattr(membership, "evaluate", counted)
    return sizes
