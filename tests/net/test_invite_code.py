"""Invite codes as a person pastes or types them. No network."""

from __future__ import annotations

import base64

import pytest

from organiser.core.errors import OrganiserError
from organiser.net.invite_code import InviteCode, InviteCodeError, decode_invite, encode_invite, split_address

CODE = InviteCode("ab" * 16, "cd" * 32, b"\x01" * 16, 1_900_000_000, ("10.77.0.1:7000", "192.0.2.5:41234"))


def test_a_code_reads_back_whatever_the_case_spaces_or_line_breaks():
    text = encode_invite(CODE)
    assert decode_invite(text) == CODE
    assert decode_invite("  " + text.lower().replace("-", " ") + "\n") == CODE


def test_a_code_uses_only_characters_a_qr_code_can_hold_compactly():
    assert set(encode_invite(CODE)) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-1")


def test_a_code_names_the_device_that_made_it_by_key_and_not_the_group_name(group):
    from organiser.core.keys import public_key_hex
    from organiser.net.credentials import key_fingerprint
    from organiser.net.pairing import make_invite

    text = make_invite(group, ["10.77.0.1:7000"], 3600)
    body = text.replace("-", "")[len("ORG1"):]
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    assert group.name.encode() not in raw and group.name not in text
    code = decode_invite(text)
    assert code.addresses == ("10.77.0.1:7000",)
    assert code.fingerprint == key_fingerprint(public_key_hex(group.private_key()))


def test_invites_last_at_most_7_days_and_only_admins_make_them_unless_the_policy_says(group, tmp_path):
    from organiser.net.pairing import make_invite
    from organiser.services.devices import MembershipRefused
    from tests.conftest import add_device, sync_pair

    with pytest.raises(OrganiserError, match="at most 7 days"):
        make_invite(group, ["10.77.0.1:7000"], 7 * 86400 + 1)
    member = add_device(group, tmp_path / "m", "member laptop")
    sync_pair(group, member)
    with pytest.raises(MembershipRefused, match="only an admin"):
        make_invite(member, ["10.77.0.2:7000"], 3600)
    group.membership.set_policy(members_may_invite=True)
    sync_pair(group, member)
    assert make_invite(member, ["10.77.0.2:7000"], 3600).startswith("ORG1")
    member.close()


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-3],  # cut short
    lambda t: t[:10] + ("A" if t[10] != "A" else "B") + t[11:],  # one character mistyped
    lambda t: "XYZ" + t[3:],  # not a code at all
    lambda t: t + "Q",  # a stray character
])
def test_a_mistyped_code_is_refused_with_a_clear_sentence(mangle):
    with pytest.raises(InviteCodeError, match="mistyped or incomplete"):
        decode_invite(mangle(encode_invite(CODE)))


def test_addresses_are_checked():
    assert split_address("10.77.0.1:7000") == ("10.77.0.1", 7000)
    assert split_address("[::1]:7000") == ("::1", 7000)
    assert split_address("0.0.0.0:0", any_port=True) == ("0.0.0.0", 0)
    for bad in ("10.77.0.1", "host:port", ":7000", "h:70000", "h:0"):
        with pytest.raises(OrganiserError, match="HOST:PORT"):
            split_address(bad)


@pytest.mark.parametrize(("ended", "said"), [
    ("withdrawn", "this invite code was withdrawn at .*: the short code shown beside it let a laptop in"),
    ("burned", "this invite code was spent at .* by a wrong try"),
])
def test_a_code_ended_before_it_expired_says_how(group, ended, said):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.keys import public_key_hex
    from organiser.net.pairing import admit_by_invite, make_invite, token_hash
    from organiser.store import invites

    code = make_invite(group, ["127.0.0.1:7000"])
    token = decode_invite(code).token
    invites.burn_invite(group.db, invites.find_invite(group.db, token_hash(token)).id, ended)
    with pytest.raises(OrganiserError, match=said):
        admit_by_invite(group, token, public_key_hex(Ed25519PrivateKey.generate()), "C laptop")
    assert [d["name"] for d in group.devices()] == [group.device_name]


def test_a_withdrawn_code_is_not_put_to_the_person_when_the_clock_went_back(group, monkeypatch):
    """The long code was withdrawn when the short one let a laptop in; then the laptop's clock
    went back an hour (a resume with a wrong time, corrected later). Whoever tries the long code
    is refused without the person at the laptop being asked to confirm a stranger, and not admitted."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.keys import public_key_hex
    from organiser.net import pairing
    from organiser.store import invites

    code = pairing.make_invite(group, ["127.0.0.1:7000"])
    token = decode_invite(code).token
    pairing.withdraw_invite(group, code)
    found = invites.find_invite(group.db, pairing.token_hash(token))
    monkeypatch.setattr(pairing.time, "time", lambda: found.expires_at - 3600)
    assert not pairing._still_open(found)
    with pytest.raises(OrganiserError, match="withdrawn"):
        pairing.admit_by_invite(group, token, public_key_hex(Ed25519PrivateKey.generate()), "C laptop")
    assert [d["name"] for d in group.devices()] == [group.device_name]
