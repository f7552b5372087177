"""A committed edit survives the process being killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from organiser.services.group import open_group

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from organiser.services.group import open_group
    group = open_group(Path(sys.argv[1]))
    member = group.members.add("Ana López", roles=["Outreach"])
    group.members.edit(member.id, notes="committed before the kill")
    print(member.id, flush=True)
    time.sleep(60)  # still running, connection open, when it is killed
""")


def test_an_edit_committed_before_kill_9_is_there_after_reopening(group, data_dir):
    founder_hash = group.replica.state_hash()
    group.close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir)], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    try:
        member_id = proc.stdout.readline().strip()
        assert member_id, "the writer printed no id"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    reopened = open_group(data_dir)
    try:
        member = reopened.members.get(member_id)
        assert (member.name, member.notes, member.roles) == ("Ana López", "committed before the kill", ["Outreach"])
        assert reopened.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert reopened.replica.state_hash() != founder_hash
        # the change log and the visible state agree: the edit is also there to send to peers
        assert reopened.replica.version_vector()[reopened.device_id] == 3
        reopened.members.add("Bruno")  # and the group goes on working
    finally:
        reopened.close()
