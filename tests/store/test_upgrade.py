"""A group made by the code before the membership log (a shared group secret, a CA derived
from it, the roster as last-writer-wins records) upgrades in place. The databases were made
by that code (tests/store/fixtures/make_group_before_membership_log.py)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from organiser.services.group import open_group
from tests.conftest import sync_pair

FIXTURE = Path(__file__).parent / "fixtures" / "group-before-membership-log.tar.gz"
STATE_BEFORE = "98758a422c9797f74678d5cb50f6f1031e4c701704bdb7e51d331907299bdfa0"


@pytest.fixture
def old_group(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path


def test_the_founder_becomes_the_first_admin_and_the_roster_stays_admitted(old_group):
    second = open_group(old_group / "second")  # upgrades before the founder: its old roster holds
    assert sorted(d["name"] for d in second.devices()) == ["door laptop", "minutes laptop"]
    founder = open_group(old_group / "founder")
    for g in (founder, second):
        assert g.replica.state_hash() == STATE_BEFORE
        assert not any((g.path / name).exists() for name in ("group.secret", "ca.key", "ca.crt"))
    sync_pair(founder, second)
    for g in (founder, second):
        devices = {d.name: d for d in g.membership.list()}
        assert set(devices) == {"door laptop", "minutes laptop"}
        assert devices["door laptop"].admin and not devices["minutes laptop"].admin
        assert g.replica.state_hash() == STATE_BEFORE
        assert g.db.execute("SELECT count(*) FROM membership_log WHERE action = 'found'").fetchone()[0] == 1
    # both keep writing, and the founder can now remove a device
    second.members.add("Bruno")
    sync_pair(founder, second)
    assert {m.name for m in founder.members.list()} == {"Ana López", "Bruno"}
    founder.membership.remove("minutes laptop")
    sync_pair(founder, second)
    assert second.membership.this_device_removed()
    founder.close()
    second.close()


def test_opening_it_again_changes_nothing_more(old_group):
    founder = open_group(old_group / "founder")
    head = founder.replica.version_vector()
    founder.close()
    founder = open_group(old_group / "founder")
    assert founder.replica.version_vector() == head
    founder.close()


def test_the_old_ca_signs_only_a_short_lived_answer_for_old_laptops_before_it_goes(old_group):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from organiser.services.old_laptops import ANSWER_DAYS, ANSWER_META, stored_answer

    folder = next((old_group / "founder" / "groups").iterdir())
    old_ca = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    founder = open_group(old_group / "founder")
    assert not any((founder.path / name).exists() for name in ("group.secret", "ca.key", "ca.crt"))
    answer = stored_answer(founder.db)
    assert answer is not None
    cert = x509.load_pem_x509_certificate(answer.cert_pem)
    cert.verify_directly_issued_by(old_ca)  # old laptops, which trust only that CA, accept it
    assert cert.public_key() != founder.private_key().public_key()  # a throwaway key, not the device's
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime <= dt.timedelta(days=ANSWER_DAYS + 2)
    stored = founder.db.execute("SELECT value FROM meta WHERE key = ?", [ANSWER_META]).fetchone()[0]
    # the one private key kept is the throwaway one: not the CA's, and no group secret
    assert stored.count("PRIVATE KEY-----") == 2 and "secret" not in stored
    kept = serialization.load_pem_private_key(answer.key_pem, None).public_key()
    assert kept == cert.public_key() and kept != old_ca.public_key()
    founder.close()
