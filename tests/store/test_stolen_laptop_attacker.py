"""The thief of an admin's laptop, after the group removed it and its member came back on a new
laptop: with the stolen disk and the passphrase it holds the old device key, and signs whatever it
likes, stamped whenever it likes. Nothing it signs changes who belongs or what anyone sees, and it
cannot pass for the new laptop."""

from __future__ import annotations

from organiser.core.changeset import Op, sign_changeset
from organiser.core.membership import ADMIT, PROMOTE, REMOVE
from organiser.core.records import new_id
from organiser.services.group import Group
from tests.conftest import add_device, sync_all
from tests.store.test_membership_attacks import _forged, _last_stamp, _new_key, _roster


def _names(g: Group) -> list[str]:
    return sorted(m.name for m in g.members.list())


def test_the_thief_of_a_removed_admin_laptop_changes_nothing_and_cannot_pass_for_the_new_laptop(group, tmp_path):
    admin = group
    stolen = add_device(admin, tmp_path / "stolen", "Ana's laptop")
    admin.membership.promote(stolen.device_id)
    stolen.members.add("Written on Ana's laptop")
    sync_all([admin, stolen])
    before_theft = _last_stamp(stolen)
    admin.membership.remove(stolen.device_id)
    new = add_device(admin, tmp_path / "new", "Ana's laptop")
    admin.membership.promote(new.device_id)
    admin.members.add("Written after the theft")
    sync_all([admin, new])
    roster, seen = _roster(admin), _names(admin)

    thief_key, thief_device = _new_key()
    forged = []
    for n, (action, value) in enumerate([(REMOVE, {"device": new.device_id, "kept": 0}),
                                         (REMOVE, {"device": admin.device_id, "kept": 0}),
                                         (ADMIT, {"device": thief_device, "public_key": thief_key, "name": "Ana 2"}),
                                         (PROMOTE, {"device": thief_device})]):
        cs = _forged(stolen, action, value, before_theft + 1 + n)  # back-dated to before its removal
        stolen.replica.apply([cs])  # its own chain, as the thief's copy would hold it
        forged.append(cs)
    stolen.members.add("Planted by the thief")
    planted = list(stolen.replica.iter_changes_since({}))
    # the new laptop's id with the stolen key: a changeset passing for the new laptop
    posing = sign_changeset(stolen.replica.key(), admin.id, new.device_id, 99, "0" * 64, before_theft,
                            [Op("member", new_id(), "name", "Sent as the new laptop")])
    for target in (admin, new):
        target.replica.apply(forged + planted + [posing])
        assert _roster(target) == roster
        assert _names(target) == seen
        assert "Planted by the thief" not in _names(target) and "Sent as the new laptop" not in _names(target)
    stolen.close()
    new.close()


def test_a_connection_that_read_who_belongs_before_a_removal_elsewhere_refuses_the_removed_laptop(group, tmp_path):
    """The apply worker's connection read who belongs; then the admin removes the stolen laptop on
    the app's own connection, between the worker's look at whether the database was written
    elsewhere and its next write. What the thief sends next must be refused all the same: who
    belongs is checked again once the worker holds the write lock, when no other commit can slip in."""
    from organiser.store.database import connect
    from organiser.store.replica import Replica

    admin = group
    stolen = add_device(admin, tmp_path / "stolen", "Ana's laptop")
    sync_all([admin, stolen])
    worker = Replica(connect(admin.replica.database_path(), synchronous="NORMAL"), group_id=admin.replica.group_id,
                     device_id=admin.replica.device_id, key=admin.replica.key())
    worker.forget_roster_if_written_elsewhere()  # what the apply worker does before each apply
    assert worker.roster().admitted(stolen.device_id)
    admin.membership.remove(stolen.device_id)
    stolen.members.add("Planted by the thief")
    planted = stolen.replica.changes_since(admin.replica.version_vector())
    result = worker.apply(planted)
    assert result.applied == 0
    assert "Planted by the thief" not in _names(admin)
    worker.db.close()
    stolen.close()
