"""The member directory: contact details, consent, roles and skills."""

from __future__ import annotations

import pytest

from organiser.core.errors import NotFoundError, ValidationError
from tests.conftest import sync_pair


def change_count(group) -> int:
    return group.replica.last_change_id()


def test_a_member_keeps_every_field_given(group):
    member = group.members.add(
        "Ana López", emails=["ana@example.org", "ana.l@example.net"], phones=["+34 600 123 456"],
        roles=["Outreach", "Kitchen"], skills=["Spanish", "First aid"], notes="Prefers Signal",
        consent_email=True, consent_phone="no", consent_date="2026-03-01", joined="2025-11-20",
    )
    again = group.members.get(member.id)
    assert again == member
    assert again.name == "Ana López"
    assert again.emails == ["ana@example.org", "ana.l@example.net"]
    assert again.phones == ["+34 600 123 456"]
    assert again.roles == ["Kitchen", "Outreach"]
    assert again.skills == ["First aid", "Spanish"]
    assert (again.consent_email, again.consent_phone, again.consent_date) == (True, False, "2026-03-01")
    assert again.joined == "2025-11-20"


def test_a_member_read_back_is_the_member_constructed_field_by_field(group):
    """Members are built without the dataclass's __init__ (speed): every field must still be set."""
    from dataclasses import asdict, fields

    from organiser.services.members import Member

    member = group.members.add("Bilal Okafor", emails=["bilal@example.org"], roles=["Door"])
    plain = Member(**{f.name: getattr(member, f.name) for f in fields(Member)})
    assert member == plain and asdict(member) == asdict(plain)
    assert set(vars(member)) == {f.name for f in fields(Member)}
    with pytest.raises(AttributeError):
        member.name = "someone else"  # still frozen


def test_consent_can_be_withdrawn_and_the_change_reaches_the_other_device(two_devices):
    a, b = two_devices
    member = a.members.add("Ana", emails=["ana@example.org"], consent_email=True, consent_date="2026-03-01")
    sync_pair(a, b)
    b.members.edit(member.id, consent_email=False)
    sync_pair(a, b)
    assert a.members.get(member.id).consent_email is False


def test_search_finds_members_by_name_email_and_role(group):
    ana = group.members.add("Ana López", emails=["ana@example.org"], roles=["Outreach"])
    group.members.add("Bruno", emails=["bruno@example.org"], roles=["Kitchen"])
    assert [m.id for m in group.members.list("lopez")] == [ana.id]  # accents folded
    assert [m.id for m in group.members.list("ana@example")] == [ana.id]
    assert [m.id for m in group.members.list("outre")] == [ana.id]


def test_search_follows_role_edits(group):
    ana = group.members.add("Ana", roles=["Outreach"])
    group.members.edit(ana.id, roles=["Kitchen"])
    assert group.members.list("outreach") == []
    assert [m.id for m in group.members.list("kitchen")] == [ana.id]


def test_editing_roles_replaces_the_list(group):
    ana = group.members.add("Ana", roles=["Outreach", "Kitchen"])
    assert group.members.edit(ana.id, roles=["Kitchen", "Legal"]).roles == ["Kitchen", "Legal"]


def test_two_devices_adding_different_roles_at_once_both_win(two_devices):
    a, b = two_devices
    ana = a.members.add("Ana", roles=["Outreach"])
    sync_pair(a, b)
    a.members.edit(ana.id, roles=["Outreach", "Kitchen"])
    b.members.edit(ana.id, roles=["Outreach", "Legal"])
    sync_pair(a, b)
    assert a.members.get(ana.id).roles == ["Kitchen", "Legal", "Outreach"]
    assert b.members.get(ana.id).roles == ["Kitchen", "Legal", "Outreach"]
    assert a.replica.state_hash() == b.replica.state_hash()


def test_one_device_removing_a_role_while_another_adds_one_keeps_both_changes(two_devices):
    a, b = two_devices
    ana = a.members.add("Ana", roles=["Outreach", "Kitchen"])
    sync_pair(a, b)
    a.members.edit(ana.id, roles=["Outreach"])
    b.members.edit(ana.id, roles=["Outreach", "Kitchen", "Legal"])
    sync_pair(a, b)
    assert a.members.get(ana.id).roles == b.members.get(ana.id).roles == ["Legal", "Outreach"]


def test_the_same_role_added_on_two_devices_at_once_is_one_role(two_devices):
    a, b = two_devices
    ana = a.members.add("Ana")
    sync_pair(a, b)
    a.members.edit(ana.id, roles=["Outreach"])
    b.members.edit(ana.id, roles=["outreach"])  # typed differently, still the same role
    sync_pair(a, b)
    roles_a, roles_b = a.members.get(ana.id).roles, b.members.get(ana.id).roles
    assert roles_a == roles_b
    assert [r.casefold() for r in roles_a] == ["outreach"]
    assert a.members.all_roles() == roles_a


def test_a_duplicate_role_in_one_edit_is_kept_once(group):
    ana = group.members.add("Ana", roles=["Outreach", "outreach ", "Outreach"])
    assert ana.roles == ["Outreach"]


def test_a_member_with_a_bad_email_writes_nothing(group):
    before, hash_before = change_count(group), group.replica.state_hash()
    with pytest.raises(ValidationError) as caught:
        group.members.add("Ana", emails=["ana@"], roles=["Outreach"])
    assert caught.value.field == "emails"
    assert (change_count(group), group.replica.state_hash()) == (before, hash_before)
    assert group.members.list() == []


def test_an_edit_with_a_bad_value_writes_nothing_not_even_the_good_fields(group):
    ana = group.members.add("Ana", emails=["ana@example.org"])
    before, hash_before = change_count(group), group.replica.state_hash()
    with pytest.raises(ValidationError):
        group.members.edit(ana.id, name="Ana López", emails=["not an email"], roles=["Kitchen"])
    assert (change_count(group), group.replica.state_hash()) == (before, hash_before)
    assert group.members.get(ana.id).name == "Ana"


def test_a_deleted_member_is_gone_from_lists_and_lookups(group):
    ana = group.members.add("Ana", roles=["Outreach"])
    group.members.delete(ana.id)
    assert group.members.list() == []
    assert group.members.list("Ana") == []
    with pytest.raises(NotFoundError, match="there is no member with id"):
        group.members.get(ana.id)


def test_a_member_can_be_found_by_the_start_of_the_id(group):
    ana = group.members.add("Ana")
    assert group.members.resolve_id(ana.id[:8]) == ana.id
    with pytest.raises(NotFoundError):
        group.members.resolve_id("zzzzzzzz")
