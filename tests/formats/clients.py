"""Running the real clients from Debian (khal, khard, todoman, LibreOffice) on files Organiser
wrote, each with its own configuration in a temporary HOME, and Organiser's CLI on what they wrote
(real processes, in the clients' time zone). The group and the members a test starts from are
made through the program's entry point in the test process (`organiser_here`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.cli_in_process import cli_in_process

REPO = Path(__file__).resolve().parents[2]


def need(command: str) -> str:
    """The client's path, or skip: packaging/ensure-debian-libs.sh installs it when run as root."""
    found = shutil.which(command)
    if found is None:
        pytest.skip(f"'{command}' is not installed (packaging/ensure-debian-libs.sh installs it as root)")
    return found


def run(args: list[str | Path], home: Path, *, tz: str = "Europe/London", stdin: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "TZ": tz, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, input=stdin,
                          timeout=timeout, cwd=REPO)
    assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"
    return done


def organiser(data_dir: Path, *args: str | Path, tz: str = "Europe/London") -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "organiser", "--data-dir", data_dir, *args], data_dir.parent, tz=tz)


def organiser_json(data_dir: Path, *args: str | Path, tz: str = "Europe/London") -> Any:
    return json.loads(organiser(data_dir, *args, "--json", tz=tz).stdout)


def organiser_here(data_dir: Path, *args: str) -> str:
    """What `organiser --data-dir DATA_DIR ARGS...` prints, run in the test process: for the set-up,
    which no client reads and no time zone changes."""
    code, out, err = cli_in_process(data_dir, *args)
    assert code == 0, f"organiser {args} failed: {out}\n{err}"
    return out


def new_group(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    organiser_here(data_dir, "init", "--group", "Tenants Union", "--device-name", "door")
    return data_dir


def split_calendar(data: bytes, folder: Path) -> list[str]:
    """An iCalendar export as a vdir (what khal and todoman read): one file per UID, with the
    time zones it uses. Returns the UIDs."""
    calendar = icalendar.Calendar.from_ical(data)
    zones = list(calendar.walk("VTIMEZONE"))
    by_uid: dict[str, list[Any]] = {}
    for component in calendar.subcomponents:
        if component.name in ("VEVENT", "VTODO"):
            by_uid.setdefault(str(component["UID"]), []).append(component)
    folder.mkdir(parents=True, exist_ok=True)
    for uid, components in by_uid.items():
        one = icalendar.Calendar()
        one.add("prodid", "-//Organiser tests//EN")
        one.add("version", "2.0")
        for part in [*zones, *components]:
            one.add_component(part)
        (folder / f"{uid}.ics").write_bytes(one.to_ical())
    return list(by_uid)


def join_calendar(folder: Path) -> bytes:
    """A vdir as one calendar file, as a person would hand it to `organiser import`."""
    out = icalendar.Calendar()
    out.add("prodid", "-//Organiser tests//EN")
    out.add("version", "2.0")
    zones: set[str] = set()
    for path in sorted(folder.glob("*.ics")):
        for component in icalendar.Calendar.from_ical(path.read_bytes()).subcomponents:
            if component.name == "VTIMEZONE":
                if str(component["TZID"]) in zones:
                    continue
                zones.add(str(component["TZID"]))
            out.add_component(component)
    return out.to_ical()


def split_cards(data: bytes, folder: Path) -> None:
    """A vCard export as a vdir (what khard reads): one card per file."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, card in enumerate(data.decode("utf-8").split("BEGIN:VCARD")[1:]):
        (folder / f"card{index}.vcf").write_text("BEGIN:VCARD" + card, encoding="utf-8", newline="")
