"""A member acting in bad faith against the admin's vouch (services/vouching.py): puppets named so
that the admin vouches for the wrong laptop, or reads a question that names an honest laptop.

The group: the office laptop (a, admin) lets members invite; the door laptop (b) a member's, an
admin let it in; the middle laptop (d) b let in; the minutes laptop (e) d admitted before
invitations by members reached one step: it waits for an admin. b acts in bad faith: it may admit
laptops (one step), and names them as it likes."""

from __future__ import annotations

import pytest

from organiser.core.errors import NotFoundError
from organiser.services.group import create_group
from tests.conftest import add_device, let_in_before_one_step, sync_all


@pytest.fixture
def group_with_a_waiting_laptop(tmp_path):
    a = create_group(tmp_path / "a", "Tenants Union", "office laptop")
    a.membership.set_policy(members_may_invite=True)
    b = add_device(a, tmp_path / "b", "door laptop")
    sync_all([a, b])
    d = add_device(b, tmp_path / "d", "middle laptop")
    sync_all([a, b, d], rounds=2)
    e = let_in_before_one_step(d, tmp_path / "e", "minutes laptop")
    sync_all([a, b, d, e], rounds=2)
    made = [a, b, d, e]
    yield a, b, d, e, made
    for g in made:
        g.close()


def test_a_puppet_named_as_the_waiting_laptops_id_does_not_take_its_vouch(group_with_a_waiting_laptop, tmp_path):
    """The app vouches for the row clicked by its id. A puppet b let in, named with the minutes
    laptop's id, was found first (by its name): the admin who clicked the minutes laptop was asked
    about, and vouched for, the puppet and what it admitted."""
    a, b, d, e, made = group_with_a_waiting_laptop
    puppet = add_device(b, tmp_path / "p", e.device_id)
    made.append(puppet)
    sync_all(made, rounds=2)

    planned = a.membership.plan_vouch(e.device_id)
    assert planned.device == e.device_id and planned.name == "minutes laptop"


def test_an_id_is_not_made_ambiguous_by_a_puppet_named_with_it(group_with_a_waiting_laptop, tmp_path):
    """A puppet named with the middle laptop's id made that id name two devices: the admin could
    neither vouch for the middle laptop nor remove it by its id."""
    a, b, d, e, made = group_with_a_waiting_laptop
    puppet = add_device(b, tmp_path / "p", d.device_id)
    made.append(puppet)
    sync_all(made, rounds=2)

    assert a.membership.find(d.device_id).name == "middle laptop"
    assert a.membership.plan_vouch(d.device_id).device == d.device_id
    removed = a.membership.remove(d.device_id)
    assert removed.id == d.device_id and removed.removed


def test_a_name_a_puppet_shares_with_the_waiting_laptop_is_refused_naming_both(group_with_a_waiting_laptop,
                                                                                tmp_path):
    """`device vouch "minutes laptop"`: a puppet b let in under that name was vouched for (it is in
    the roster, the waiting laptop is not), with what it admitted, and nothing asked."""
    a, b, d, e, made = group_with_a_waiting_laptop
    puppet = add_device(b, tmp_path / "p", "minutes laptop")
    made.append(puppet)
    sync_all(made, rounds=2)
    written = a.replica.version_vector()

    with pytest.raises(NotFoundError, match="more than one") as refused:
        a.membership.vouch("minutes laptop")
    assert e.device_id[:8] in str(refused.value) and puppet.device_id[:8] in str(refused.value)
    assert "waiting for an admin" in str(refused.value)
    assert a.replica.version_vector() == written
    assert a.membership.plan_vouch(e.device_id[:12]).device == e.device_id
