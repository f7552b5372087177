"""Two Organiser laptops that never reach each other, with only a real Syncthing pair between them.

Each laptop's Organiser processes run in a network namespace of its own whose only interface is
loopback: no bridge, no route, so its sync node can reach no other node. Its sync folder is the
folder that its host's Syncthing instance (tests/net/syncthing.py, in another namespace, on the
bridge) shares with the other host's instance. B joins through that folder too (`invite --folder`,
`join --folder`). Whatever crosses, Syncthing carried.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.net.netns import Lan, wait_for
from tests.net.syncthing import SyncthingPair

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


class FarLaptops:
    def __init__(self, pair: SyncthingPair, base: Path) -> None:
        self.pair = pair
        self.base = base
        self.dirs = {host: base / host / "organiser" for host in "ab"}
        self.islands: dict[str, Lan] = {}
        self.procs: dict[str, subprocess.Popen] = {}
        try:
            for host in "ab":
                island = Lan(f"syncthing-far{host}")  # a bridge with one host on it: a laptop alone
                island.add_host(host)
                self.islands[host] = island
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> FarLaptops:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, host: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        island = self.islands[host]
        return island.run(host, island.organiser(self.dirs[host], *args), timeout=timeout, env=ENV, cwd=ROOT)

    def ok(self, host: str, *args: str) -> str:
        done = self.run(host, *args)
        if done.returncode != 0:
            raise AssertionError(f"{host}: organiser {' '.join(args)} failed ({done.returncode}): {done.stderr}")
        return done.stdout

    def status(self, host: str) -> dict:
        return json.loads(self.ok(host, "status", "--json"))

    def folder_status(self, host: str) -> dict:
        (status,) = json.loads(self.ok(host, "folder", "status", "--json"))
        return status

    def log(self, host: str) -> str:
        path = self.base / host / "serve.log"
        return path.read_text() if path.exists() else ""

    def join_through_the_folder(self, timeout: float = 60) -> None:
        """A leaves a one-time invite in its copy of the folder (`invite --folder`); Syncthing
        carries it to B, which redeems it from its own copy (`join --folder`) with the code,
        told by other means. Both have then attached the folder; A admits B at its next pass."""
        code = self.ok("a", "invite", "--folder", str(self.pair.folder("a"))).strip()
        wait_for(lambda: list(self.pair.folder("b").glob("*.invite")), timeout, 0.1, "the invite on B's copy")
        self.ok("b", "join", "--folder", str(self.pair.folder("b")), code, "--device-name", "far laptop")

    def serve(self, host: str) -> subprocess.Popen:
        island = self.islands[host]
        proc = island.start(host, island.organiser(self.dirs[host], "-v", "serve", "--listen", "127.0.0.1:7000"),
                            log=self.base / host / "serve.log", env=ENV, cwd=ROOT)
        self.procs[host] = proc
        wait_for(lambda: proc.poll() is not None or "on port 7000" in self.log(host), 30, what=f"{host} serving")
        if proc.poll() is not None:
            raise AssertionError(f"serve on {host} exited: {self.log(host)[-2000:]}")
        return proc

    def held(self, host: str) -> dict:
        """What `organiser status --json` shows, read through the service API: cheap enough to poll
        (a CLI process costs a second on a loaded machine)."""
        from organiser.services.group import open_group

        group = open_group(self.dirs[host])
        try:
            return group.status()
        finally:
            group.close()

    def held_folder(self, host: str) -> dict:
        """What `organiser folder status --json` shows for the Syncthing folder, through the service API."""
        from organiser.services.folders import Folders
        from organiser.services.group import open_group

        group = open_group(self.dirs[host])
        try:
            return Folders(group.replica).status(str(self.pair.folder(host)))
        finally:
            group.close()

    def state_hashes(self) -> dict[str, str]:
        return {host: self.held(host)["state_hash"] for host in "ab"}

    def same_state(self) -> bool:
        return len(set(self.state_hashes().values())) == 1

    def close(self) -> None:
        for host, proc in self.procs.items():
            self.islands[host].stop(proc)
        for island in self.islands.values():
            island.close()
