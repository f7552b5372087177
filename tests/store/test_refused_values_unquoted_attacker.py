"""A member in bad faith (a modified client with a real key) puts another member's name and
phone into values it knows will be refused: a phone list, a start, the name of a field or of a
kind of record, the number of a changeset that does not even parse. A refusal used to quote the
value, so the name landed in the laptop's log (the systemd journal, kept on the disk for weeks
outside the encrypted store), in the incidents list and in `status --json`, where an examiner of
a seized laptop reads it and where forgetting the member never reaches. The refusal must say
which kind and field and why, and nothing of the value."""

from __future__ import annotations

import logging
import secrets

import orjson
import pytest

from organiser.core.changeset import MalformedChangeset, Op, decode_changeset
from tests.bad_peer import BadPeer

NAME, PHONE = "Ana López", "+44 7700 900123"
SECRET = f"{NAME} {PHONE}"
CASES = {
    "a phone": lambda member, event: [Op("member", member, "phones", [PHONE, f"{NAME} of 3 Marsh Lane"])],
    "a start": lambda member, event: [Op("event", event, "start", SECRET)],
    "an email 100,000 long": lambda member, event: [Op("member", member, "emails", [SECRET * 5_000])],
    "a time zone": lambda member, event: [Op("event", event, "tz", f"Europe/{NAME}")],
    "a padded date": lambda member, event: [Op("member", member, "consent_date", f" {SECRET} ")],
    "a field's name": lambda member, event: [Op("member", member, SECRET.replace(" ", "_"), "x")],
    "a kind of record": lambda member, event: [Op(SECRET, secrets.token_hex(16), "name", "x")],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_value_naming_a_member_reaches_neither_the_log_nor_the_incidents(two_devices, case, caplog):
    a, b = two_devices
    member = a.members.add(name="Bo").id
    event = a.events.add("Assembly", "2026-12-03T19:00").id
    caplog.set_level(logging.DEBUG)

    result = a.replica.apply([BadPeer(b).sign(CASES[case](member, event))], source=b.device_id)

    [refusal] = result.refused
    logged = [r.getMessage() for r in caplog.records]
    assert any("refused 1 changeset" in line for line in logged), logged
    status = orjson.dumps(a.status()).decode()
    for text in [refusal.reason, *logged, status]:
        assert NAME not in text and "López" not in text and "7700" not in text and "Marsh" not in text, text
    assert len(refusal.reason) < 300, "bounded, whatever the size of the value"
    if case not in ("a kind of record", "a field's name"):
        assert refusal.reason.split(":")[0] in {"phone", "start", "email", "time zone", "consent date"}, \
            "the field is named"


def test_a_changeset_that_does_not_parse_is_refused_without_quoting_it() -> None:
    """What a peer sends that is not even a changeset goes to the log and the incidents too
    (sync/receiving.py `_decode_chunk`): Python's own messages quote the text ('invalid literal
    for int()'), so the reason must be the app's words alone."""
    bodies = {
        "its number": {"g": "g", "a": "a", "s": SECRET, "p": "0" * 64, "h": 1, "o": []},
        "an op's version": {"g": "g", "a": "a", "s": 1, "p": "0" * 64, "h": 1,
                            "o": [["member", "r", "name", "x", [SECRET, "d"]]]},
    }
    for what, doc in bodies.items():
        with pytest.raises(MalformedChangeset) as refused:
            decode_changeset(orjson.dumps(doc), b"\0" * 64)
        assert NAME not in str(refused.value) and "7700" not in str(refused.value), (what, str(refused.value))
        assert str(refused.value).startswith("the changeset is not well formed")
