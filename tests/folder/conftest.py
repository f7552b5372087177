"""Devices of one group, each with its own copy of a shared folder where needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from organiser.services.folders import Folders
from organiser.services.group import Group, create_group
from tests.cli.conftest import home, organiser, organiser_in_process  # noqa: F401  (the command-line fixtures, for test_folder_cli)
from tests.conftest import add_device, sync_pair


def make_group(tmp_path: Path, count: int) -> list[Group]:
    """A founder and count-1 devices it admitted; each holds the membership log (as after its
    invite) and nothing else."""
    founder = create_group(tmp_path / "d0", "Tenants Union", "door laptop")
    devices = [founder]
    for i in range(1, count):
        devices.append(add_device(founder, tmp_path / f"d{i}", f"laptop {i}"))
    for device in devices[1:]:
        sync_pair(founder, device)
    return devices


@pytest.fixture
def three(tmp_path: Path) -> Iterator[list[Group]]:
    devices = make_group(tmp_path, 3)
    yield devices
    for device in devices:
        device.close()


def folders(device: Group) -> Folders:
    return Folders(device.replica)


def hashes(devices: list[Group]) -> set[str]:
    return {d.replica.state_hash() for d in devices}
