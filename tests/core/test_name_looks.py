"""What a device's name looks like on screen (core/device_name.py `looks`): names a person would
read as one look the same, and names a person tells apart do not."""

from __future__ import annotations

import pytest

from organiser.core.device_name import looks

READ_AS_THE_DOOR_LAPTOP = ["door laptop", "Door Laptop", "door  laptop", " door laptop ", "d\u043e\u043er laptop",
                           "do\u200bor laptop", "\uff44oor laptop", "d\u03bfor laptop", "door lapt\u00f3p",
                           "d0or laptop", "door Iaptop", "door 1aptop"]


@pytest.mark.parametrize("name", READ_AS_THE_DOOR_LAPTOP)
def test_a_name_read_as_the_door_laptop_looks_like_it(name: str) -> None:
    assert looks(name) == looks("door laptop")


@pytest.mark.parametrize("other", ["doer laptop", "door laptop 2", "minutes laptop", "door", "dor laptop",
                                   "\u05d3\u05d5\u05e8 laptop"])
def test_a_name_a_person_tells_apart_does_not(other: str) -> None:
    assert looks(other) != looks("door laptop")


def test_rn_reads_as_m_and_vv_as_w() -> None:
    assert looks("rniddle laptop") == looks("middle laptop") and looks("vvork laptop") == looks("work laptop")
