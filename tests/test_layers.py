"""Imports point one way: core, store, sync, formats and services never need Qt, net never
imports Qt, and no module is part of an import cycle. Each check runs in a fresh interpreter,
so modules other tests already imported cannot hide a problem."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import organiser

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(organiser.__file__).parent
QT_FREE = ["organiser.core", "organiser.store", "organiser.sync", "organiser.formats", "organiser.services",
           "organiser.folder"]
QT_MODULES = ("PySide6", "shiboken6", "qasync")
# The layers that may use Qt: skipped only in the Qt-blocked run.
QT_LAYERS = ("organiser.ui", "organiser.app")

BLOCK_QT = textwrap.dedent("""
    import sys

    class BlockQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {blocked!r}:
                raise ImportError(f"{{name}} is blocked in this test: this layer must not import Qt")
            return None

    sys.meta_path.insert(0, BlockQt())
""").format(blocked=QT_MODULES)


def all_modules() -> list[str]:
    """Every module of the package, found on disk (folders without __init__.py included)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if "__pycache__" not in parts:
            names.append(".".join(parts))
    return names


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def modules_under(prefix: str) -> list[str]:
    return [m for m in all_modules() if m == prefix or m.startswith(prefix + ".")]


def present(packages: list[str]) -> list[str]:
    return [p for p in packages if modules_under(p)]


def test_the_package_is_found_on_disk():
    found = all_modules()
    assert "organiser.core.records" in found and "organiser.store.replica" in found
    assert not any(m.startswith("organiser.tests") for m in found)


@pytest.mark.parametrize("layer", present(QT_FREE))
def test_a_layer_imports_with_qt_blocked(layer):
    modules = modules_under(layer)
    code = BLOCK_QT + textwrap.dedent(f"""
        import importlib, json
        for name in {modules!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {QT_MODULES!r})))
    """)
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_blocker_really_blocks_qt():
    result = run_python(BLOCK_QT + "import PySide6.QtCore\n")
    assert result.returncode != 0
    assert "blocked in this test" in result.stderr


def test_the_network_layer_does_not_import_qt():
    modules = modules_under("organiser.net")
    if not modules:
        pytest.skip("organiser.net has no modules yet")
    code = textwrap.dedent(f"""
        import importlib, json, sys
        for name in {modules!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {QT_MODULES!r})))
    """)
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


IMPORT_EACH_FIRST = textwrap.dedent("""
    import importlib, json, sys, traceback
    failures = {{}}
    for name in {modules!r}:
        # forget every organiser module, so this one is imported first, as in a fresh start
        for loaded in [m for m in sys.modules if m == "organiser" or m.startswith("organiser.")]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
        except Exception as exc:
            failures[name] = f"{{type(exc).__name__}}: {{exc}}"
    print(json.dumps(failures))
""")


def test_every_module_but_the_qt_layers_imports_first_with_qt_blocked():
    """An import cycle shows up as an ImportError or AttributeError for whichever module of
    the cycle is imported first, so each module is imported first once."""
    modules = [m for m in all_modules() if not m.startswith(QT_LAYERS)]
    result = run_python(BLOCK_QT + IMPORT_EACH_FIRST.format(modules=modules))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {}


def test_every_module_of_the_qt_layers_imports_first():
    """The other modules were each imported first above, with Qt blocked: they import no Qt,
    so importing them with Qt available takes the same path."""
    result = run_python(IMPORT_EACH_FIRST.format(modules=[m for m in all_modules() if m.startswith(QT_LAYERS)]))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {}
