"""Settings an admin or a user can pre-set, and where each one came from.

Layers, lowest first: built-in defaults, the system file (/etc/organiser/config.toml), the
user's file ($XDG_CONFIG_HOME/organiser/config.toml), the environment (ORGANISER_DATA_DIR, ...),
and last the command line. A file that cannot be read or parsed is skipped as a whole, with one
sentence naming the file and line; a single bad value is skipped with a sentence naming it. The
program always starts: on the other layers, else on defaults.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SYSTEM_CONFIG = Path("/etc/organiser/config.toml")
ENV_SYSTEM_CONFIG = "ORGANISER_SYSTEM_CONFIG"  # another system file (tests, staged installs)
ENV_USER_CONFIG = "ORGANISER_CONFIG"  # another user file
DEFAULT_DEVICE_NAME = "{hostname}"
PLACEHOLDERS = ("hostname", "user")

# setting -> environment variable that sets it
ENVIRONMENT = {
    "data_dir": "ORGANISER_DATA_DIR",
    "device_name": "ORGANISER_DEVICE_NAME",
    "listen_port": "ORGANISER_LISTEN_PORT",
    "discovery": "ORGANISER_DISCOVERY",
    "peers": "ORGANISER_PEERS",
    "require_passphrase": "ORGANISER_REQUIRE_PASSPHRASE",
    "lock_after_minutes": "ORGANISER_LOCK_AFTER_MINUTES",
}
DEFAULT_LOCK_AFTER_MINUTES = 15
DEFAULT_SOURCE = "default"
FLAG_SOURCE = "command line"


class SettingError(ValueError):
    """A value that does not fit its setting; the message says what would."""


@dataclass(frozen=True)
class Settings:
    """The effective settings. None means "not set": the command's own default applies."""

    data_dir: Path | None = None
    device_name: str = DEFAULT_DEVICE_NAME  # a template: {hostname}, {user}
    listen_port: int | None = None
    discovery: bool = True
    peers: tuple[str, ...] = ()
    require_passphrase: bool = False  # an admin may forbid groups without a passphrase
    lock_after_minutes: int = DEFAULT_LOCK_AFTER_MINUTES  # the app locks after this long idle; 0: never
    sources: Mapping[str, str] = field(default_factory=dict)  # setting -> file, variable or "command line"
    problems: tuple[str, ...] = ()  # one sentence per file or value that was skipped

    def source_of(self, name: str) -> str:
        return self.sources.get(name, DEFAULT_SOURCE)

    def device_name_for_this_device(self) -> str:
        """The device-name template filled in for this computer and user."""
        return render_device_name(self.device_name)

    def with_flags(self, **flags: Any) -> Settings:
        """These settings with the command-line values that were given (not None) on top."""
        given = {k: v for k, v in flags.items() if v is not None}
        unknown = set(given) - set(ENVIRONMENT)
        if unknown:
            raise TypeError(f"not a setting: {', '.join(sorted(unknown))}")
        cleaned = {k: PARSERS[k](v) for k, v in given.items()}
        return replace(self, **cleaned, sources={**self.sources, **dict.fromkeys(cleaned, FLAG_SOURCE)})

    def listen_port_advice(self) -> str:
        """What to do when the configured port cannot be listened on ("" when no file or variable set it)."""
        source = self.source_of("listen_port")
        if not self.listen_port or source in (DEFAULT_SOURCE, FLAG_SOURCE):
            return ""
        where = f"in {source}" if not source.startswith("environment") else f"by the {source}"
        return (f"listen_port {self.listen_port} is set {where}: stop what uses that port, or set another "
                "listen_port there (0 picks a free port).")

    def node_options(self) -> dict[str, Any]:
        """Keyword arguments for a SyncNode (organiser.net.node): port, discovery, static peers."""
        return {"listen_port": self.listen_port or 0, "discovery": self.discovery,
                "static_peers": [parse_peer(p) for p in self.peers]}

    def describe(self) -> list[tuple[str, str, str]]:
        """(setting, value as text, where it came from) for each setting, for people."""
        rows = []
        for name in ENVIRONMENT:
            value = getattr(self, name)
            if isinstance(value, bool):
                text = "on" if value else "off"
            elif isinstance(value, tuple):
                text = ", ".join(value) or "(none)"
            elif value is None:
                text = "(not set)"
            else:
                text = str(value)
            rows.append((name, text, self.source_of(name)))
        return rows


# ---- values -------------------------------------------------------------------------------


def _data_dir(value: Any, environ: Mapping[str, str] | None = None) -> Path:
    """A folder path; "~" and $VARIABLES are those of whoever runs the program (the system file
    is shared by every user of the laptop)."""
    if isinstance(value, Path):
        return value.expanduser()
    if not isinstance(value, str) or not value.strip():
        raise SettingError("data_dir must be a folder path in quotes, e.g. \"/srv/organiser\".")
    environ = os.environ if environ is None else environ

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if not environ.get(name):
            raise SettingError(f"data_dir names ${name}, which is not set for this user; write the folder out, "
                               'e.g. "/srv/organiser" or "~/Organiser".')
        return environ[name]

    text = re.sub(r"\$(?:\{(\w+)\}|(\w+))", variable, value.strip())
    if (text == "~" or text.startswith("~/")) and environ.get("HOME"):
        return Path(environ["HOME"] + text[1:])
    return Path(text).expanduser()


def _data_dir_in_file(value: Any, environ: Mapping[str, str]) -> Path:
    """A file is read by programs started from any folder: a relative path would wander."""
    path = _data_dir(value, environ)
    if not path.is_absolute():
        raise SettingError(f"data_dir '{value}' is not a full path, so it would depend on the folder the program "
                           'starts in; write e.g. "~/Union" or "/srv/organiser/Union".')
    return path


def _device_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingError('device_name must be text in quotes, e.g. "{hostname}" or "{user} laptop".')
    render_device_name(value)  # refuses unknown placeholders now rather than at `init`
    return value.strip()


def _listen_port(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise SettingError("listen_port must be a whole number from 0 to 65535 (0 picks a free port).")
    return value


def _discovery(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in {"1", "true", "yes", "on"}:
            return True
        if word in {"0", "false", "no", "off"}:
            return False
    raise SettingError("discovery must be true or false (in the environment: on/off, yes/no, 1/0).")


def _require_passphrase(value: Any) -> bool:
    try:
        return _discovery(value)
    except SettingError:
        raise SettingError("require_passphrase must be true or false (in the environment: on/off, yes/no, "
                           "1/0).") from None


def _lock_after_minutes(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24 * 60:
        raise SettingError("lock_after_minutes must be a whole number of minutes from 0 (never) to 1440.")
    return value


def _peers(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise SettingError('peers must be a list of addresses, e.g. ["10.0.0.5:47800", "door-laptop.local:47800"].')
    for text in value:
        parse_peer(text)
    return tuple(v.strip() for v in value)


PARSERS: dict[str, Callable[[Any], Any]] = {
    "data_dir": _data_dir,
    "device_name": _device_name,
    "listen_port": _listen_port,
    "discovery": _discovery,
    "peers": _peers,
    "require_passphrase": _require_passphrase,
    "lock_after_minutes": _lock_after_minutes,
}


def parse_peer(text: str) -> tuple[str, int]:
    """"host:port" or "[ipv6]:port" -> (host, port). The port is needed: devices listen on any free
    port unless an admin fixes one with listen_port."""
    text = text.strip()
    match = re.fullmatch(r"\[([0-9A-Fa-f:.%\w]+)\]:(\d+)|([^\s:\[\]]+):(\d+)", text)
    if not match:
        raise SettingError(f"peer address '{text}' is not host:port or [ipv6]:port.")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 1 <= port <= 65535:
        raise SettingError(f"peer address '{text}' has port {port}; a port is 1 to 65535.")
    return host, port


def differs_per_computer(template: str) -> bool:
    """Whether a device_name template gives each computer its own name ({hostname} or {user} in it)."""
    return bool(re.search(r"{(hostname|user)}", template))


def render_device_name(template: str) -> str:
    known = {"hostname": _hostname(), "user": _user()}
    for name in re.findall(r"{([^{}]*)}", template):
        if name not in known:
            raise SettingError(f"device_name uses {{{name}}}; the known placeholders are "
                               + " and ".join(f"{{{p}}}" for p in PLACEHOLDERS) + ".")
    return template.format_map(known).strip()


def _hostname() -> str:
    return socket.gethostname().split(".")[0] or "computer"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in a bare container
        return "user"


# ---- files --------------------------------------------------------------------------------


def system_config_path(environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get(ENV_SYSTEM_CONFIG):
        return Path(environ[ENV_SYSTEM_CONFIG])
    if sys.platform == "win32":  # where an MSI or a group policy puts it
        return Path(environ.get("PROGRAMDATA") or r"C:\ProgramData") / "Organiser" / "config.toml"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/Organiser/config.toml")
    return SYSTEM_CONFIG


def user_config_path(environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get(ENV_USER_CONFIG):
        return Path(environ[ENV_USER_CONFIG]).expanduser()
    home = Path(environ.get("HOME") or Path.home())
    if sys.platform == "win32":
        return Path(environ.get("APPDATA") or home / "AppData" / "Roaming") / "Organiser" / "config.toml"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Organiser" / "config.toml"
    return Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "organiser" / "config.toml"


def read_config_file(path: Path, environ: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The settings in one file and the sentences about what was skipped. A missing file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return {}, [f"{path}: cannot read this config file ({reason}); ignoring it."]
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_of(exc, text)
        return {}, [f"{path}, line {line}: {_reason_of(exc)}{_hint_for_line(text, line)}; ignoring this config file."]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, raw in table.items():
        line = line_of_key(text, key)
        where = f"{path}, line {line}" if line else str(path)
        if isinstance(raw, dict) and key not in PARSERS:  # `[organiser]` above makes a table
            section = re.search(rf"^[ \t]*\[+[ \t]*[\"']?{re.escape(key)}\b", text, re.M)
            at = f"{path}, line {text[:section.start()].count(chr(10)) + 1}" if section else str(path)
            problems.append(f"{at}: [{key}] starts a section, and Organiser reads settings only above any section; "
                            f"remove the [{key}] line. Ignoring {', '.join(raw) or 'it'}.")
            continue
        if key not in PARSERS:
            problems.append(f"{where}: '{key}' is not a setting (known: {', '.join(PARSERS)}); ignoring it.")
            continue
        try:
            values[key] = (_data_dir_in_file(raw, os.environ if environ is None else environ) if key == "data_dir"
                           else PARSERS[key](raw))
        except SettingError as exc:
            problems.append(f"{where}: {exc} Ignoring this value.")
    return values, problems


def _line_of(exc: tomllib.TOMLDecodeError, text: str) -> int:
    lineno = getattr(exc, "lineno", None)  # Python 3.14 has it; 3.11-3.13 only say it in the message
    if lineno:
        return int(lineno)
    match = re.search(r"at line (\d+)", str(exc))
    return int(match.group(1)) if match else max(1, len(text.splitlines()))  # "at end of document"


def _hint_for_line(text: str, number: int) -> str:
    """What the setting on that line expects (TOML says only "invalid value" for `data_dir = ~/x`)."""
    lines = text.splitlines()
    match = re.match(r"\s*([A-Za-z_]+)\s*=", lines[number - 1]) if 0 < number <= len(lines) else None
    if not match or match.group(1) not in PARSERS:
        return ""
    try:
        PARSERS[match.group(1)](object())  # no setting takes this: its refusal says what it takes
    except SettingError as exc:
        return f": {str(exc).rstrip('.')}"
    return ""


def _reason_of(exc: tomllib.TOMLDecodeError) -> str:
    message = getattr(exc, "msg", None) or re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
    return message[0].lower() + message[1:] if message else "not valid TOML"


def line_of_key(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


# ---- all layers ---------------------------------------------------------------------------


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """Defaults, then the system file, the user file and the environment, each over the last."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for path in (system_config_path(environ), user_config_path(environ)):
        found, trouble = read_config_file(path, environ)
        values.update(found)
        sources.update(dict.fromkeys(found, str(path)))
        problems += trouble
    for name, variable in ENVIRONMENT.items():
        raw = environ.get(variable)
        if raw is None or raw == "":
            continue
        try:
            values[name] = _data_dir(raw, environ) if name == "data_dir" else PARSERS[name](raw)
            sources[name] = f"environment ({variable})"
        except SettingError as exc:
            problems.append(f"environment variable {variable}: {exc} Ignoring it.")
    return Settings(**values, sources=sources, problems=tuple(problems))


_loaded: dict[tuple[Any, ...], Settings] = {}


def settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """The settings for this process, loaded once; what was skipped is said once, on stderr."""
    key = (str(system_config_path(environ)), str(user_config_path(environ)),
           *(environ.get(v) for v in ENVIRONMENT.values()))
    if key not in _loaded:
        loaded = load_settings(environ)
        for problem in loaded.problems:
            print(f"organiser: {problem}", file=sys.stderr)
        _loaded[key] = loaded
    return _loaded[key]
