"""A member in bad faith puts line breaks, terminal escapes and direction overrides into what
a refusal used to quote back (a kind of record, a field's name, a value): the sentence lands in
the laptop's log and its incidents list. It must stay one line and quote none of it, so a
refused changeset cannot forge log lines or reorder the words."""

from __future__ import annotations

import logging
import secrets

import pytest

from organiser.core.changeset import Op
from tests.bad_peer import BadPeer

FORGED_LINE = "\nWARNING organiser.net.pairing: admitted 'door laptop' by invite"
CASES = {
    "a kind of record": lambda member: [Op("spaceship" + FORGED_LINE, secrets.token_hex(16), "name", "x")],
    "a field's name": lambda member: [Op("member", member, "colour" + FORGED_LINE, "red")],
    "a date's value": lambda member: [Op("member", member, "consent_date", "2026\u202e" + FORGED_LINE)],
    "an email": lambda member: [Op("member", member, "emails", ["ana\x1b[2K@example.org" + FORGED_LINE])],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refusal_quoting_what_a_peer_wrote_stays_one_line_in_the_log_and_the_incidents(
        two_devices, case, caplog):
    a, b = two_devices
    member = a.members.add(name="Ana").id
    caplog.set_level(logging.WARNING, logger="organiser.store.replica")

    result = a.replica.apply([BadPeer(b).sign(CASES[case](member))], source=b.device_id)

    [refusal] = result.refused
    details = [i["detail"] for i in a.incidents()]
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    for text in [refusal.reason, *details, *logged]:
        assert not any(c in text for c in "\n\r\x1b\u202e"), repr(text)
    assert "door laptop" not in refusal.reason, "nothing of what the peer wrote is quoted"
