"""A private LAN of network namespaces on a bridge, for tests and the benchmark.

Nothing leaves the machine: each host is a namespace with one veth into a bridge that
lives in a namespace of its own. Names carry the PID and a counter, and `close()`
kills every process started here (by PID) and deletes every namespace.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

_counter = itertools.count()


def netns_unavailable() -> str | None:
    """Why namespace tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("ip") is None:
        return "needs the 'ip' command (iproute2)"
    probe = f"orgprobe-{os.getpid()}-{next(_counter)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True)
    if made.returncode != 0:
        return f"cannot create network namespaces: {made.stderr.decode().strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Lan:
    def __init__(self, prefix: str = "org") -> None:
        self.tag = f"{prefix}{os.getpid()}x{next(_counter)}"
        self.bridge_ns = f"{self.tag}-br"
        self.hosts: dict[str, str] = {}  # host name -> its address
        self._namespaces: list[str] = []
        self._procs: list[subprocess.Popen] = []
        _ip("netns", "add", self.bridge_ns)
        self._namespaces.append(self.bridge_ns)
        _ip("-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.bridge_ns, "link", "set", "br0", "up")

    def ns(self, host: str) -> str:
        return f"{self.tag}-{host}"

    def add_host(self, host: str) -> str:
        index = len(self.hosts) + 1
        ns = self.ns(host)
        _ip("netns", "add", ns)
        self._namespaces.append(ns)
        port = f"p{index}"
        _ip("-n", self.bridge_ns, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("-n", self.bridge_ns, "link", "set", port, "master", "br0", "up")
        address = f"10.77.0.{index}"
        _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "link", "set", "eth0", "multicast", "on", "up")
        self.hosts[host] = address
        return address

    def cut(self, host: str) -> None:
        """Unplug a host's cable (its side of the bridge goes down)."""
        index = list(self.hosts).index(host) + 1
        _ip("-n", self.bridge_ns, "link", "set", f"p{index}", "down")

    def plug(self, host: str) -> None:
        index = list(self.hosts).index(host) + 1
        _ip("-n", self.bridge_ns, "link", "set", f"p{index}", "up")

    def link_bytes(self, host: str) -> tuple[int, int]:
        """(received, sent) bytes on a host's cable so far, as its interface counts them."""
        done = subprocess.run(["ip", "-n", self.ns(host), "-s", "-j", "link", "show", "eth0"], check=True,
                              capture_output=True, text=True)
        stats = json.loads(done.stdout)[0]["stats64"]
        return int(stats["rx"]["bytes"]), int(stats["tx"]["bytes"])

    def command(self, host: str, args: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.ns(host), *args]

    def run(self, host: str, args: Sequence[str], timeout: float = 60, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(host, args), capture_output=True, text=True, timeout=timeout, **kw)

    def start(self, host: str, args: Sequence[str], log: Path | None = None, **kw) -> subprocess.Popen:
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(self.command(host, args), stdout=kw.pop("stdout", out), stderr=subprocess.STDOUT
                                if log else kw.pop("stderr", subprocess.DEVNULL), **kw)
        self._procs.append(proc)
        return proc

    def organiser(self, data_dir: Path, *args: str) -> list[str]:
        return [sys.executable, "-m", "organiser", "--data-dir", str(data_dir), *args]

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> int | None:
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        return proc.returncode

    def close(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        for ns in reversed(self._namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self._namespaces.clear()


def wait_for(predicate, timeout: float, every: float = 0.1, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll until predicate() is truthy (returns it) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")
