"""Screenshots of File > Import (a preview with duplicates and invalid rows) and File > Export.

Run with `python -m tests.formats.make_screenshots` (offscreen; no display needed).
Writes docs/screenshots/import-preview.png and docs/screenshots/export.png.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from organiser.services.group import create_group  # noqa: E402
from organiser.ui.transfer_dialogs import ExportDialog, ImportDialog  # noqa: E402
from tests.formats.helpers import FIXTURES  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def wait_until(condition, timeout_ms: int = 30_000) -> None:
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: condition() and loop.quit())
    timer.start(20)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    timer.stop()


def main() -> None:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        group = create_group(Path(tmp), "Tenants Union", "door laptop")
        group.members.add("Carla Díaz", emails=["carla@example.org"])
        dialog = ImportDialog(group)
        dialog.resize(900, 420)
        dialog.show()
        dialog.set_file(FIXTURES / "members_with_errors.csv")
        wait_until(lambda: dialog.plan is not None and not dialog.busy)
        app.processEvents()
        OUT.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(OUT / "import-preview.png"))
        dialog.close()
        export = ExportDialog(group)
        export.resize(640, 200)
        export.show()
        xlsx = export.format_box.findText("Spreadsheet: members (Excel and LibreOffice .xlsx)")
        export.format_box.setCurrentIndex(xlsx)
        app.processEvents()
        export.grab().save(str(OUT / "export.png"))
        export.close()
        group.close()
    print(f"wrote {OUT / 'import-preview.png'} and {OUT / 'export.png'}")


if __name__ == "__main__":
    main()
