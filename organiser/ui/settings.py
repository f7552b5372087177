"""What this device remembers about the app: window geometry, the last view, and which
member "this is me" points to. Kept in an INI file next to the groups, not in the group."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings


class UiSettings:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.qsettings = QSettings(str(data_dir / "desktop.ini"), QSettings.Format.IniFormat)

    def me(self, group_id: str) -> str | None:
        value = self.qsettings.value(f"me/{group_id}", "")
        return str(value) or None

    def set_me(self, group_id: str, member_id: str | None) -> None:
        self.qsettings.setValue(f"me/{group_id}", member_id or "")
        self.qsettings.sync()

    def geometry(self) -> QByteArray | None:
        value = self.qsettings.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, geometry: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)

    def last_view(self) -> str:
        return str(self.qsettings.value("window/last_view", "events"))

    def set_last_view(self, name: str) -> None:
        self.qsettings.setValue("window/last_view", name)

    def sync(self) -> None:
        self.qsettings.sync()
