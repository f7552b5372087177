from tests.conftest import sync_pair


def test_a_member_added_on_one_laptop_shows_on_the_other(two_devices):
    a, b = two_devices
    member = a.members.add("Ana López", emails=["ana@example.org"], roles=["Outreach"])
    sync_pair(a, b)
    assert b.members.get(member.id).roles == ["Outreach"]
    assert a.replica.state_hash() == b.replica.state_hash()
