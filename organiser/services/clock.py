"""Local wall-clock helpers for people-facing times."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path


def local_tz_name() -> str:
    """The system's IANA time zone name, or UTC when it cannot be told."""
    env = os.environ.get("TZ", "").lstrip(":")
    if env and "/" in env:
        return env
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    timezone_file = Path("/etc/timezone")
    if timezone_file.exists():
        name = timezone_file.read_text().strip()
        if name:
            return name
    return "UTC"


def now() -> datetime:
    """The local wall-clock time (naive). Everything people see as "now" or "today" reads it
    here, through the module, so that tests can freeze one clock for the whole app."""
    return datetime.now()


def today() -> date:
    return now().date()


def now_local_iso() -> str:
    return now().astimezone().isoformat(timespec="seconds")
