"""A sentence that ends on a menu item or button ending in '…' gets no full stop after it:
"use Connect to address…." read as four dots in the peers list's hint."""

from __future__ import annotations

import ast
from pathlib import Path

import organiser

SOURCE = Path(organiser.__file__).parent


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_no_text_shown_has_an_ellipsis_followed_by_a_full_stop():
    found = [f"{path.relative_to(SOURCE.parent)}:{line}" for path in sorted(SOURCE.rglob("*.py"))
             for line, text in _strings(path) if "…." in text or "...." in text]
    assert found == []
