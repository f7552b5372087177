"""A join with a passphrase that did not finish (the inviting laptop unreachable, the joining command
stopped) and is tried again takes the same folder and key: it left a new half-made group at every try,
each listed by `group list` as an encrypted group, each holding a device key of its own."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import runner

PASSPHRASE = {"ORGANISER_PASSPHRASE": "correct horse battery staple"}


def test_a_join_tried_again_after_it_stopped_half_way_leaves_one_folder(tmp_path: Path, home: Path) -> None:
    founder = runner(tmp_path / "admin", home)
    joining = runner(tmp_path / "new laptop", home)
    assert founder("init", "--group", "Tenants Union", "--device-name", "admin laptop").code == 0
    code = founder("invite").out.strip().splitlines()[-1]  # no node runs there: nobody answers
    for _try in range(2):
        tried = joining("join", code, "--device-name", "Ana's laptop", env=PASSPHRASE)
        assert tried.code != 0 and "cannot be reached" in tried.err, tried.err
    folders = sorted(p.name for p in (tmp_path / "new laptop" / "groups").iterdir())
    assert len(folders) == 1, f"each try left a folder of its own: {folders}"
