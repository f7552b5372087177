"""Where the real-world files for format tests live."""

from __future__ import annotations

from pathlib import Path

import icalendar

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_VCARDS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "vcard"
ICALENDAR_CALENDARS = Path(icalendar.__file__).parent / "tests" / "calendars"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
