"""A rough LAN is not an error, and no member can stall or crash the group: real `serve`
processes in network namespaces with 3 % packet loss (nftables), cables pulled and plugged
back, nodes killed with -9 and restarted while everyone edits; a laptop whose clock is 3 years
ahead (libfaketime), a changeset stamped at the format's maximum, and a member's modified client
sending absurd values."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.net.netns import Lan, netns_unavailable, wait_for
from tests.net.test_lan import ENV, ROOT, Laptops, query

REASON = netns_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
TRACEBACKS = ("Traceback", "Exception in callback", "CancelledError")
# 3 % of the frames each laptop receives are dropped, silently, before its network stack sees
# them: what a lossy Wi-Fi does. nftables, because this kernel has no sch_netem for `tc netem`;
# an output-hook drop would not do, the sender's own socket would see EPERM instead of a loss.
LOSS_RULES = """table netdev lossy {
  chain arriving {
    type filter hook ingress device "eth0" priority 0;
    numgen random mod 100 < 3 counter drop
  }
}
"""


def loss_unavailable() -> str | None:
    """Why 3 % loss cannot be made here (no `nft`, or a kernel without nf_tables), or None."""
    if REASON is not None:
        return REASON
    if shutil.which("nft") is None:
        return "needs 'nft' (Debian package nftables) to drop 3 % of packets"
    ns = f"orgloss-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], capture_output=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "v1"],
                       capture_output=True)
        tried = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=LOSS_RULES,
                               capture_output=True, text=True)
        return None if tried.returncode == 0 else f"nftables cannot drop packets here: {tried.stderr.strip()}"
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


LOSS = loss_unavailable()


def dropped(lan: Lan, host: str) -> int:
    """Packets the loss rule dropped on a host so far."""
    listed = lan.run(host, ["nft", "list", "table", "netdev", "lossy"]).stdout
    return sum(int(n) for n in re.findall(r"counter packets (\d+)", listed))


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal every process of a serve started in its own session, and wait (bounded) until none
    is left. A serve started through a wrapper command may run as the wrapper's child:
    signalling the first PID alone would leave that child running after the test."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.poll()  # reaps the wrapper once it has exited
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    proc.wait(5)


@pytest.fixture
def three(tmp_path) -> Iterator[Laptops]:
    lan = Lan("orgc")
    laptops = Laptops(lan, tmp_path)
    try:
        for host in "abc":
            lan.add_host(host)
        yield laptops
    finally:
        for proc in laptops.procs.values():  # by process group: the lan knows only the first PID
            stop_group(proc, signal.SIGKILL)
        lan.close()


def names(laptops: Laptops, host: str) -> set[str]:
    rows = query(laptops.dirs[host], "SELECT json_extract(data, '$.name') FROM records WHERE kind = 'member'")
    return {name for (name,) in rows}


def form_group(laptops: Laptops, *, b_prefix: tuple[str, ...] = ()) -> None:
    """a founds the group and serves on 7000; b and c join through it and serve too."""
    laptops.ok("a", "init", "--group", "Tenants Union", "--device-name", "door laptop")
    serve(laptops, "a", peers=False)
    wait_for(lambda: "on port 7000" in laptops.log("a"), 15, what="a serving")
    for host, name in (("b", "minutes laptop"), ("c", "spare laptop")):
        laptops.ok(host, "join", laptops.ok("a", "invite").strip(), "--device-name", name)


def serve(laptops: Laptops, host: str, prefix: tuple[str, ...] = (), *, peers: bool = True) -> None:
    """Start a laptop's `serve` in a session of its own, so that it and any child are stopped together."""
    dial = ("--peer", "10.77.0.1:7000", "--peer", "10.77.0.2:7000", "--peer", "10.77.0.3:7000") if peers else ()
    args = laptops.lan.organiser(laptops.dirs[host], "-v", "serve", "--listen", "0.0.0.0:7000", *dial)
    laptops.procs[host] = laptops.lan.start(host, [*prefix, *args], log=laptops.base / f"{host}.log",
                                            env=ENV, cwd=ROOT, start_new_session=True)


@pytest.mark.slow
@pytest.mark.skipif(LOSS is not None, reason=LOSS or "")
def test_every_confirmed_edit_reaches_every_laptop_through_loss_cuts_and_kills_with_no_traceback(three):
    edit_through_chaos(three, loss=True)


@pytest.mark.slow
@pytest.mark.skipif(LOSS is None, reason="the same chaos with 3 % loss runs on this machine")
def test_every_confirmed_edit_reaches_every_laptop_through_cuts_and_kills_with_no_traceback(three):
    """The same without packet loss, for machines without nftables."""
    edit_through_chaos(three, loss=False)


def edit_through_chaos(three: Laptops, *, loss: bool) -> None:
    form_group(three)
    stop_group(three.procs["a"])
    for host in "abc":
        if loss:
            assert three.lan.run(host, ["nft", "-f", "-"], input=LOSS_RULES).returncode == 0
        serve(three, host)
    confirmed: set[str] = set()
    chaos = {2: ("cut", "b"), 4: ("plug", "b"), 5: ("kill", "c"), 7: ("start", "c"), 8: ("cut", "a"),
             9: ("kill", "b"), 10: ("plug", "a"), 11: ("start", "b")}
    for step in range(14):
        for host in "abc":
            name = f"{host} edit {step}"
            if three.run(host, "member", "add", "--name", name).returncode == 0:
                confirmed.add(name)
        what, host = chaos.get(step, ("", ""))
        if what == "cut":
            three.lan.cut(host)
        elif what == "plug":
            three.lan.plug(host)
        elif what == "kill":
            stop_group(three.procs[host], signal.SIGKILL)
        elif what == "start":
            serve(three, host)
    assert len(confirmed) == 42
    for host in "abc":
        wait_for(lambda h=host: confirmed <= names(three, h), 120, 0.5, f"every confirmed edit on {host}")
    wait_for(lambda: len({three.status(h)["state_hash"] for h in "abc"}) == 1, 60, 0.5, "equal states")
    for host in "abc":
        log = three.log(host)
        assert not [line for line in log.splitlines() if any(t in line for t in TRACEBACKS)], (host, log[-3000:])
    if loss:  # the loss was real
        assert all(dropped(three.lan, host) > 0 for host in "abc")


def libfaketime() -> str | None:
    """libfaketime, to preload directly. Not the `faketime` wrapper: it makes a named semaphore
    per PID and removes it only when it exits itself, so a killed wrapper leaves it in /dev/shm
    and a later wrapper given the same PID fails ("sem_open: File exists", seen in a CI run).
    Preloaded, the library shares nothing with children when such a name is taken, which these
    processes do not need."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + glob.glob("/usr/lib/faketime/libfaketime.so.1"))
    return found[0] if found else None


def years_ahead(years: int) -> tuple[str, ...]:
    """A command prefix running the command with its clock `years` ahead (it replaces itself
    with the command: no child process)."""
    return ("env", f"LD_PRELOAD={libfaketime()}", f"FAKETIME=+{years}y")


@pytest.mark.skipif(libfaketime() is None, reason="needs libfaketime (Debian package faketime)")
def test_a_laptop_three_years_ahead_and_a_stamp_at_the_formats_maximum_stall_nobody(three):
    form_group(three)
    stop_group(three.procs["a"])
    serve(three, "a")
    serve(three, "b", years_ahead(3))  # its clock, and so its stamps, 3 years ahead
    serve(three, "c")
    three.ok("a", "member", "add", "--name", "Ana")
    wait_for(lambda: "Ana" in names(three, "b") and "Ana" in names(three, "c"), 60, 0.5, "Ana everywhere")
    future = three.lan.run("b", [*years_ahead(3), *three.lan.organiser(three.dirs["b"], "member", "add",
                                                                        "--name", "From the future")])
    assert future.returncode == 0, future.stderr
    # b's node stops while the attacker speaks as b: a node keeps the link it dialled itself and
    # closes a second connection of the same device, so with b's node up the attack may not land.
    stop_group(three.procs["b"])
    wait_for(lambda: all(p["state"] == "offline" for p in three.status("a")["peers"] if p["name"] == "minutes laptop"),
             30, 0.2, "a to see b gone")
    attack = three.lan.run("b", [sys.executable, "-m", "tests.net.attacker", str(three.dirs["b"]),
                                 "10.77.0.1:7000", "max-clock"], env=ENV, cwd=ROOT)
    assert attack.returncode == 0, attack.stderr
    serve(three, "b", years_ahead(3))
    # reported on both laptops: a names b's clock, b learns its own clock is ahead
    def reported(host: str, reason: str) -> bool:
        return any(i["reason"] == reason for i in three.status(host)["incidents"])
    wait_for(lambda: reported("a", "clock") and reported("c", "clock"), 60, 0.5, "a and c to report b's clock")
    wait_for(lambda: reported("b", "own-clock"), 30, 0.5, "b to report its own clock")
    # The incident keeps the latest sentence: the attacker's stamp ("2174 years") until a hears b
    # again (b's greeting, its refused edit); b may have reported its own clock from c's greeting.
    three_years = "'minutes laptop' sends changes from 3 years in the future: check its clock."
    def on_a() -> dict:
        (incident,) = [i for i in three.status("a")["incidents"] if i["reason"] == "clock"]
        return incident
    wait_for(lambda: on_a()["message"] == three_years, 60, 0.5, f"a to say: {three_years}")
    assert on_a()["device"]["name"] == "minutes laptop"
    # nobody is stalled: later edits of a and c reach each other and b
    three.ok("a", "member", "add", "--name", "Bruno")
    three.ok("c", "member", "add", "--name", "Chen")
    try:
        for host in "abc":
            wait_for(lambda h=host: {"Bruno", "Chen"} <= names(three, h), 60, 0.5, f"later edits on {host}")
    except AssertionError as missed:  # failed once in a CI run, then 6 of 6 passed: say what each saw
        seen = {h: sorted(names(three, h)) for h in "abc"}
        raise AssertionError(f"{missed}; names {seen}; logs: " + "".join(
            f"\n--- {h} ---\n{three.log(h)[-4000:]}" for h in "abc")) from None
    for host in "ac":
        assert not {"From the future", "From the end of time"} & names(three, host)
    clocks = [json.loads(three.ok(h, "status", "--json"))["version_vector"] for h in "ac"]
    assert clocks[0] == clocks[1]
    assert query(three.dirs["a"], "SELECT max(hlc) FROM changes")[0][0] < (1 << 62) - 1


def test_a_member_sending_absurd_changesets_over_the_lan_is_refused_disconnected_and_breaks_no_command(three):
    form_group(three)
    three.ok("a", "member", "add", "--name", "Ana")
    three.ok("a", "event", "add", "--title", "Assembly", "--start", "2026-12-03T19:00")
    attack = three.lan.run("b", [sys.executable, "-m", "tests.net.attacker", str(three.dirs["b"]),
                                 "10.77.0.1:7000", "absurd"], env=ENV, cwd=ROOT)
    assert attack.returncode == 0, attack.stderr
    outcome = json.loads(attack.stdout)
    assert outcome["closed"] and "were refused" in outcome["answer"]
    wait_for(lambda: "Sent by the modified client" in names(three, "a"), 30, 0.5, "the good changeset")
    status = three.status("a")
    assert {i["reason"] for i in status["incidents"]} <= {"value", "size", "unknown", "entries", "disconnected"}
    assert len(status["incidents"]) <= 5
    for args in (["member", "list"], ["member", "list", "--json"], ["event", "list"], ["task", "list"],
                 ["conflicts"], ["status"], ["export", "--format", "json"]):
        done = three.run("a", *args)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
    assert "keeping it away" in three.log("a")
    assert not [line for line in three.log("a").splitlines() if any(t in line for t in TRACEBACKS)]
