"""Two real Syncthing instances (Debian's `syncthing`) on a private LAN of network namespaces.

Each instance runs in its own namespace, whose only link is a veth into a bridge that lives in
a namespace of its own (tests/net/netns.py): no route leads anywhere else, so nothing can leave
the machine even if a setting below were ignored. On top of that the test writes each
config.xml itself: the other device's id and static address (`tcp://10.77.0.N:22000`) and the
listen address on the bridge only; global and local discovery, relays, NAT traversal (UPnP,
NAT-PMP, STUN), usage and crash reporting, upgrades and the browser all off. The GUI/REST API
listens on a Unix socket in the instance's home (not even loopback), with an API key; tests
wait on its event stream (/rest/events, a long poll) and /rest/db/* instead of sleeping.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.net.netns import Lan, netns_unavailable, wait_for

PORT = 22000
FOLDER_ID = "organiser"
BRIDGE_NET = ipaddress.ip_network("10.77.0.0/24")
# Settings that could make Syncthing talk to anything but its one peer, and what the test sets them to.
QUIET_OPTIONS: dict[str, str] = {
    "globalAnnounceEnabled": "false",
    "localAnnounceEnabled": "false",
    "relaysEnabled": "false",
    "natEnabled": "false",
    "announceLANAddresses": "false",
    "stunKeepaliveStartS": "0",
    "urAccepted": "-1",  # usage reporting declined, so it never asks either
    "urSeen": "3",
    "urURL": "",
    "crashReportingEnabled": "false",
    "crashReportingURL": "",
    "autoUpgradeIntervalH": "0",
    "releasesURL": "",
    "startBrowser": "false",
    "restartOnWakeup": "false",
    # A refused dial (the other side not started yet) is retried within 5 s (Syncthing's minimum), not a minute.
    "reconnectionIntervalS": "5",
    # Same priority as the Organiser processes it is compared with.
    "setLowPriority": "false",
}


def syncthing_unavailable() -> str | None:
    """Why the Syncthing tests cannot run here, or None."""
    if shutil.which("syncthing") is None:
        return "needs Debian's syncthing (apt-get install syncthing; make test-deps installs it)"
    return netns_unavailable()


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


@dataclass
class Instance:
    """One Syncthing instance: its host on the bridge, home, identity and REST API."""

    host: str
    address: str
    home: Path
    gui_socket: Path
    device_id: str
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    proc: subprocess.Popen | None = None
    namespace: str = ""

    @property
    def log(self) -> Path:
        return self.home / "syncthing.log"

    def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                body: Any = None, timeout: float = 10) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        conn = _UnixHTTPConnection(self.gui_socket, timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            conn.request(method, path + query, body=payload, headers={"X-API-Key": self.api_key})
            reply = conn.getresponse()
            data = reply.read()
        finally:
            conn.close()
        if reply.status != 200:
            raise RuntimeError(f"{self.host}: {method} {path} answered {reply.status}: {data[:200]!r}")
        return json.loads(data) if data.strip() else None

    def get(self, path: str, timeout: float = 10, **params: Any) -> Any:
        return self.request("GET", path, params, timeout=timeout)

    def answers(self) -> bool:
        try:
            return self.get("/rest/system/ping", timeout=2) == {"ping": "pong"}
        except (OSError, RuntimeError, http.client.HTTPException):
            return False

    def last_event_id(self) -> int:
        events = self.get("/rest/events", since=0, limit=1, timeout=10)
        return events[-1]["id"] if events else 0

    def events_since(self, since: int, wait: float) -> list[dict]:
        """Events after `since`, waiting up to `wait` seconds (whole seconds, at least 1) for the first."""
        seconds = max(1, round(wait))
        return self.request("GET", "/rest/events", {"since": since, "timeout": seconds}, timeout=seconds + 10)

    def folder_state(self, folder: str = FOLDER_ID) -> dict:
        return self.get("/rest/db/status", folder=folder)

    def connected_to(self, other: Instance) -> bool:
        connections = self.get("/rest/system/connections")["connections"]
        return bool(connections.get(other.device_id, {}).get("connected"))

    def inet_sockets(self) -> list[tuple[str, str, str]]:
        """(protocol, local, peer) of every TCP/UDP socket in this instance's namespace."""
        done = subprocess.run(["ip", "netns", "exec", self.namespace, "ss", "-tuanH"],
                              capture_output=True, text=True, timeout=10, check=True)
        return [(cols[0], cols[4], cols[5]) for cols in (line.split() for line in done.stdout.splitlines())]


def _address_host(endpoint: str) -> str:
    host = endpoint.rsplit(":", 1)[0]
    return host.strip("[]").split("%", 1)[0]


def only_local_addresses(sockets: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The sockets that reach outside the bridge or loopback (should be none)."""
    outside = []
    for sock in sockets:
        for endpoint in sock[1:]:
            host = _address_host(endpoint)
            if host in ("*", "0.0.0.0", "::"):
                continue
            ip = ipaddress.ip_address(host)
            if not (ip.is_loopback or ip in BRIDGE_NET):
                outside.append(sock)
                break
    return outside


def config_xml(me: Instance, peers: list[Instance], folders: dict[str, Path],
               rescan_s: int = 10, watch_delay_s: int = 1) -> str:
    """A complete config.xml for `me`, sharing `folders` (id -> path) with `peers`."""
    root = ET.Element("configuration", version="36")
    for device in (me, *peers):
        node = ET.SubElement(root, "device", id=device.device_id, name=device.host, compression="metadata",
                             introducer="false", skipIntroductionRemovals="false", introducedBy="")
        ET.SubElement(node, "address").text = f"tcp://{device.address}:{PORT}"
        ET.SubElement(node, "paused").text = "false"
        ET.SubElement(node, "autoAcceptFolders").text = "false"
    for folder_id, path in folders.items():
        node = ET.SubElement(root, "folder", id=folder_id, label=folder_id, path=str(path), type="sendreceive",
                             rescanIntervalS=str(rescan_s), fsWatcherEnabled="true",
                             fsWatcherDelayS=str(watch_delay_s), ignorePerms="false", autoNormalize="true")
        ET.SubElement(node, "filesystemType").text = "basic"
        for device in (me, *peers):
            ET.SubElement(node, "device", id=device.device_id, introducedBy="")
        ET.SubElement(node, "minDiskFree", unit="%").text = "0"
        ET.SubElement(node, "markerName").text = ".stfolder"
        ET.SubElement(node, "order").text = "oldestFirst"
        ET.SubElement(node, "paused").text = "false"
    gui = ET.SubElement(root, "gui", enabled="true", tls="false", debugging="false")
    ET.SubElement(gui, "address").text = str(me.gui_socket)  # an absolute path: a Unix socket
    ET.SubElement(gui, "apikey").text = me.api_key
    ET.SubElement(gui, "theme").text = "default"
    options = ET.SubElement(root, "options")
    ET.SubElement(options, "listenAddress").text = f"tcp://{me.address}:{PORT}"
    ET.SubElement(options, "globalAnnounceServer").text = ""
    ET.SubElement(options, "stunServer").text = ""
    for name, value in QUIET_OPTIONS.items():
        ET.SubElement(options, name).text = value
    ET.SubElement(options, "minHomeDiskFree", unit="%").text = "0"
    return ET.tostring(root, encoding="unicode")


DEVICE_ID = re.compile(r"Device ID: ([A-Z0-9]{7}(?:-[A-Z0-9]{7}){7})")


class SyncthingPair:
    """Syncthing on hosts "a" (10.77.0.1) and "b" (10.77.0.2), sharing one folder each side.

    `folder(host)` is that host's copy. Use as a context manager: the processes are stopped by
    PID and the namespaces deleted on the way out, whatever happened.
    """

    def __init__(self, base: Path, folder_id: str = FOLDER_ID, rescan_s: int = 10, watch_delay_s: int = 1) -> None:
        self.base = base
        self.folder_id = folder_id
        self.rescan_s = rescan_s
        self.watch_delay_s = watch_delay_s
        # Unix socket paths must stay under 108 bytes; pytest's tmp_path can be longer.
        self._sockets = Path(tempfile.mkdtemp(prefix="stgui"))
        self.lan = Lan("syncthing")  # namespaces named after this branch, the PID and a counter
        self.instances: dict[str, Instance] = {}
        try:
            for host in "ab":
                self.instances[host] = self._generate(host)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> SyncthingPair:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getitem__(self, host: str) -> Instance:
        return self.instances[host]

    def folder(self, host: str) -> Path:
        return self.base / host / "folder"

    def _generate(self, host: str) -> Instance:
        address = self.lan.add_host(host)
        home = self.base / host / "syncthing"
        home.mkdir(parents=True)
        done = self.lan.run(host, ["syncthing", "generate", "--home", str(home), "--no-default-folder"], timeout=60)
        found = DEVICE_ID.search(done.stdout + done.stderr)
        if done.returncode != 0 or not found:
            raise RuntimeError(f"syncthing generate failed on {host}: {done.stdout} {done.stderr}")
        folder = self.folder(host)
        (folder / ".stfolder").mkdir(parents=True)
        instance = Instance(host, address, home, self._sockets / f"{host}.sock", found.group(1))
        instance.namespace = self.lan.ns(host)
        return instance

    def start(self, timeout: float = 60) -> None:
        """Write both configs, start both instances, wait until they are connected and idle."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Write both configs and start both instances (they boot while the caller does other things)."""
        a, b = self.instances["a"], self.instances["b"]
        for me, other in ((a, b), (b, a)):
            xml = config_xml(me, [other], {self.folder_id: self.folder(me.host)}, self.rescan_s, self.watch_delay_s)
            (me.home / "config.xml").write_text(xml)
        # STHASHING names the hash package, which spares each start a seconds-long hashing benchmark.
        env = {**os.environ, "STNORESTART": "1", "STNOUPGRADE": "1", "STNODEFAULTFOLDER": "1", "STHASHING": "minio"}
        for me in (a, b):
            me.proc = self.lan.start(me.host, ["syncthing", "serve", "--home", str(me.home), "--no-browser",
                                               "--no-restart", "--no-upgrade", "--skip-port-probing",
                                               "--logflags=3"], log=me.log, env=env)

    def wait_ready(self, timeout: float = 60) -> None:
        a, b = self.instances["a"], self.instances["b"]
        for me in (a, b):
            assert me.proc is not None, "launch() first"
            wait_for(lambda me=me: me.proc.poll() is not None or me.answers(), timeout, 0.2, f"{me.host}'s REST API")
            if me.proc.poll() is not None:
                raise RuntimeError(f"syncthing on {me.host} exited: {me.log.read_text()[-2000:]}")
        wait_for(lambda: a.connected_to(b) and b.connected_to(a), timeout, 0.2, "A and B connected")
        self.wait_idle(timeout)

    def wait_idle(self, timeout: float = 60) -> None:
        """Both sides have scanned and need nothing the other has announced."""
        def idle(me: Instance, other: Instance) -> bool:
            state = me.folder_state(self.folder_id)
            done = me.get("/rest/db/completion", folder=self.folder_id, device=other.device_id)
            return state["state"] == "idle" and state["needTotalItems"] == 0 and done["completion"] == 100
        a, b = self.instances["a"], self.instances["b"]
        wait_for(lambda: idle(a, b) and idle(b, a), timeout, 0.2, "both folders idle and complete")

    def wait_arrived(self, host: str, name: str, since: int, timeout: float = 60) -> dict:
        """Wait for the ItemFinished event of `name` (a path relative to the folder) on `host`."""
        me = self.instances[host]
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            for event in me.events_since(since, min(left, 10)):
                since = max(since, event["id"])
                data = event.get("data") or {}
                if (event["type"] == "ItemFinished" and data.get("folder") == self.folder_id
                        and data.get("item") == name):
                    if data.get("error"):
                        raise AssertionError(f"{host} failed to pull {name}: {data['error']}")
                    return event
        raise AssertionError(f"timed out after {timeout:g} s waiting for {name} to arrive on {host}")

    def deliver(self, source: str, target: str, name: str, data: bytes, timeout: float = 60) -> float:
        """Write a plain file on `source` (complete, then renamed in) and return seconds until `target` has it."""
        since = self.instances[target].last_event_id()
        temp = self.base / source / f".{name}.writing"
        temp.write_bytes(data)
        started = time.monotonic()
        os.replace(temp, self.folder(source) / name)
        self.wait_arrived(target, name, since, timeout)
        took = time.monotonic() - started
        arrived = (self.folder(target) / name).read_bytes()
        if arrived != data:
            raise AssertionError(f"{name} arrived on {target} with other bytes ({len(arrived)} of {len(data)})")
        return took

    def pause(self) -> None:
        """Stop Syncthing carrying the folder: both sides pause it, as when one site's Syncthing is
        stopped. (Pausing the other device instead costs a reconnection on resume, which Syncthing
        dials on its own schedule, tens of seconds later.)"""
        for me in self.instances.values():
            me.request("PATCH", f"/rest/config/folders/{self.folder_id}", body={"paused": True})
        wait_for(lambda: all(self._paused(me) for me in self.instances.values()), 30, 0.2, "the folder paused")

    def resume(self, timeout: float = 60) -> None:
        for me in self.instances.values():
            me.request("PATCH", f"/rest/config/folders/{self.folder_id}", body={"paused": False})
        wait_for(lambda: not any(self._paused(me) for me in self.instances.values()), timeout, 0.2,
                 "the folder carried again")

    def _paused(self, me: Instance) -> bool:
        return bool(me.get(f"/rest/config/folders/{self.folder_id}")["paused"])

    def outside_sockets(self) -> dict[str, list[tuple[str, str, str]]]:
        """Per host, any socket in its namespace that reaches beyond the bridge or loopback."""
        return {host: only_local_addresses(me.inet_sockets()) for host, me in self.instances.items()}

    def close(self) -> None:
        for me in self.instances.values():
            if me.proc is not None:
                self.lan.stop(me.proc, timeout=15)
        self.lan.close()
        shutil.rmtree(self._sockets, ignore_errors=True)


def syncthing_version() -> str:
    done = subprocess.run(["syncthing", "--version"], capture_output=True, text=True, timeout=10)
    return done.stdout.split(" (")[0].strip()
