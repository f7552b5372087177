"""`organiser deleted list|restore`: what was deleted, by which laptop and when, and bringing it back."""

from __future__ import annotations

import json

from tests.cli_in_process import cli_in_process
from tests.conftest import add_device, sync_pair


def test_the_secretary_lists_what_the_infiltrator_deleted_and_brings_the_assembly_back(group, data_dir, tmp_path):
    assembly = group.events.add("General assembly", "2026-12-10T19:00")
    flyers = group.tasks.add("Print 200 flyers")
    mole = add_device(group, tmp_path / "mole", "Sam's laptop")
    sync_pair(group, mole)
    mole.events.delete(assembly.id)
    mole.tasks.delete(flyers.id)
    sync_pair(group, mole)
    mole.close()

    code, out, err = cli_in_process(data_dir, "deleted", "list")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(f"task    {flyers.id[:8]}  Print 200 flyers  (deleted by Sam's laptop)")
    assert lines[1].endswith(f"event   {assembly.id[:8]}  General assembly (2026-12-10 19:00)  "
                             "(deleted by Sam's laptop)")
    code, out, _err = cli_in_process(data_dir, "deleted", "list", "--kind", "event", "--json")
    (item,) = json.loads(out)
    assert (item["id"], item["name"], item["deleted_by"]["name"]) == (assembly.id, "General assembly",
                                                                       "Sam's laptop")

    code, out, err = cli_in_process(data_dir, "deleted", "restore", "general ASSEMBLY")  # its title will do
    assert (code, out) == (0, f"Brought back event General assembly ({assembly.id}).\n"), err
    assert [e.title for e in group.events.list()] == ["General assembly"]
    code, out, _err = cli_in_process(data_dir, "deleted", "list", "--kind", "event")
    assert out == "(none): nothing deleted among the events.\n"


def test_an_id_that_is_no_deleted_item_exits_2_with_a_sentence_and_changes_nothing(group, data_dir):
    shown = group.events.add("Legal clinic", "2026-12-12T19:00")
    before = group.replica.state_hash()
    for typed, said in ((shown.id, f"no deleted event, task or member has the id or the name '{shown.id}'"),
                        ("ab", "no deleted event, task or member has the id or the name 'ab'"),
                        ("Legal clinic", "no deleted event, task or member has the id or the name 'Legal clinic'")):
        code, out, err = cli_in_process(data_dir, "deleted", "restore", typed)
        assert code == 2 and out == "" and said in err, (typed, err)
    assert group.replica.state_hash() == before
