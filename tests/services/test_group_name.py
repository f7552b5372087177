"""A group's name heads every window, list and terminal line of the group: it is one line of
text, typed or sent by the admitting member's laptop."""

from __future__ import annotations

from pathlib import Path

import pytest

from organiser.core.errors import ValidationError
from organiser.services.group import create_group, credentials_from_json


@pytest.mark.parametrize("name", ["Tenants\nUnion", "Tenants \u202eUnion", "Tenants\x1b[2KUnion", "T" * 201])
def test_a_group_name_that_is_not_one_line_of_text_is_refused_and_nothing_is_made(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationError, match=r"^group name: (one line of text|at most 200 characters)"):
        create_group(tmp_path / "data", name, "door laptop")
    assert not (tmp_path / "data" / "groups").exists() or not any((tmp_path / "data" / "groups").iterdir())


def test_a_name_the_admitting_laptop_sends_shows_its_odd_characters_as_codes() -> None:
    sent = {"group_id": "a" * 32, "group_name": "Tenants\u202e noinU\nfake line", "founder": "b" * 32,
            "founder_key": "c" * 64}
    assert credentials_from_json(sent).group_name == "Tenants\\u202e noinU\\nfake line"
    assert credentials_from_json({**sent, "group_name": "Riverside Tenants Union"}).group_name == \
        "Riverside Tenants Union"
