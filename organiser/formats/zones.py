"""The IANA zone behind a calendar's TZID, however the tool that wrote it names zones."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from icalendar.timezone import windows_to_olson

__all__ = ["iana_zone", "zone_keeping_time_like"]

# Windows' longest display name is under 80 characters, a vendor-prefixed IANA name under 100.
LONGEST_TZID = 200


@cache
def _zones() -> tuple[frozenset[str], tuple[str, ...], dict[str, str]]:
    """Every IANA name, the names longest first, and {city: zone} ("Kolkata": "Asia/Kolkata")."""
    names = frozenset(available_timezones())
    regions = ("Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
    cities = {n.rsplit("/", 1)[1].replace("_", " ").casefold(): n
              for n in sorted(names, reverse=True) if n.split("/", 1)[0] in regions and "/" in n}
    return names, tuple(sorted(names, key=len, reverse=True)), cities


def iana_zone(tzid: str | None) -> str | None:
    """The IANA name behind a TZID as calendars write it: "Europe/Berlin",
    "/mozilla.org/20050126_1/Europe/Berlin", "custom_America/New_York", Outlook's
    "W. Europe Standard Time", or older Outlook's "(UTC+01:00) Amsterdam, Berlin, ..."."""
    if not tzid or len(tzid) > LONGEST_TZID:
        return None  # no tool names a zone in more than a line: a file's padding, not a zone
    tzid = tzid.strip().strip('"')
    names, longest_first, _cities = _zones()
    if tzid in names:
        return tzid
    olson = windows_to_olson.WINDOWS_TO_OLSON.get(tzid)
    if olson:
        return olson
    for name in longest_first:
        if "/" in name and tzid.endswith(name) and not tzid[-len(name) - 1:-len(name)].isalnum():
            return name
    return _display_name_zone(tzid)


# Windows' display names: "(UTC+01:00) Amsterdam, Berlin, ...", and Outlook 2003's
# "(GMT+01.00) Amsterdam / Berlin / ...": the first city that names an IANA zone.
_DISPLAY_NAME = re.compile(r"^\((?:UTC|GMT)(?:[+-]\d\d[:.]\d\d)?\)\s*(.+)$")
_US_TIME = {"eastern": "America/New_York", "central": "America/Chicago", "mountain": "America/Denver",
            "pacific": "America/Los_Angeles", "alaska": "America/Anchorage", "atlantic": "America/Halifax"}


def _display_name_zone(tzid: str) -> str | None:
    found = _DISPLAY_NAME.match(tzid)
    if found is None:
        return None
    places = found.group(1)
    us = re.match(r"^(\w+) Time \(US (?:&|and) Canada\)", places)
    if us:
        return _US_TIME.get(us.group(1).casefold())
    cities = _zones()[2]
    for place in re.split(r"[,/]", places):  # stripped below: "\s*[,/]" backtracks over long gaps
        zone = cities.get(place.strip().casefold())
        if zone:
            return zone
    return None


# ---- a zone a file defines itself -------------------------------------------------------------

# The zone most people of each common set of clock rules live by, tried before Windows' list,
# where a smaller place with the same rules this year comes first (Havana before New York).
_MAIN_ZONES = ("Europe/London", "Europe/Berlin", "Europe/Helsinki", "Europe/Moscow", "America/New_York",
               "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage",
               "America/Halifax", "America/Sao_Paulo", "America/Mexico_City", "Australia/Sydney",
               "Australia/Adelaide", "Australia/Brisbane", "Australia/Perth", "Pacific/Auckland", "Asia/Tokyo",
               "Asia/Shanghai", "Asia/Kolkata", "Asia/Dubai", "Asia/Singapore", "Africa/Johannesburg", "Africa/Lagos",
               "Africa/Nairobi", "Asia/Jerusalem", "Europe/Istanbul")


def zone_keeping_time_like(defined: tzinfo, year: int, preferred: Iterable[str | None]) -> str | None:
    """The IANA zone whose clock reads as `defined`'s (a VTIMEZONE under a name no one else uses,
    such as Outlook's "Customized Time Zone") every day of `year` and the next: the first of
    `preferred` (the calendar's zone, this laptop's) that does, else the first of Windows' own
    zones. None when none does: the times are then kept in UTC."""
    if not 1 <= year < 9999:
        return None
    days = [datetime(year, 1, 1, 12, tzinfo=UTC) + timedelta(days=n) for n in range(730)]
    try:
        wanted = [day.astimezone(defined).utcoffset() for day in days]
    except (ValueError, OverflowError, TypeError):
        return None
    candidates = [*(p for p in preferred if p), *_MAIN_ZONES, *windows_to_olson.WINDOWS_TO_OLSON.values()]
    for name in dict.fromkeys(candidates):
        try:
            zone = ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            continue
        if all(day.astimezone(zone).utcoffset() == offset for day, offset in zip(days, wanted, strict=True)):
            return name
    return None
