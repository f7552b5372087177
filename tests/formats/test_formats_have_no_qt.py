"""The formats layer and the transfer service never import Qt or the network layer
(vobject itself imports `socket`, for host names in generated UIDs, so that is allowed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODULES = ["organiser.formats", "organiser.formats.ical", "organiser.formats.vcard", "organiser.formats.csvfile",
           "organiser.formats.backup", "organiser.formats.recurrence", "organiser.services.transfer"]


def test_formats_import_with_qt_blocked():
    code = (
        "import sys\n"
        "for name in ('PySide6', 'zeroconf', 'qasync'):\n"
        "    sys.modules[name] = None\n"
        f"import importlib\nfor m in {MODULES!r}:\n    importlib.import_module(m)\n"
        "import organiser.formats as f\n"
        "assert not any(n.startswith(('organiser.ui', 'organiser.net', 'organiser.sync')) for n in sys.modules)\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert run.stdout.strip() == "ok", run.stderr


def test_formats_modules_do_not_use_sqlite():
    for path in (REPO / "organiser" / "formats").glob("*.py"):
        text = path.read_text()
        assert "sqlite" not in text and "PySide6" not in text, path.name
