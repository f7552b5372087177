"""What this device remembers about the app: window geometry and the last view, in an INI file
next to the groups that names no group or member; and which member "this is me" points to,
which is kept inside the open group's (encrypted) database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings


class UiSettings:
    def __init__(self, data_dir: Path, group: Any = None) -> None:
        """`group`: the open Group, whose database keeps "this is me" (else the INI file does)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.qsettings = QSettings(str(data_dir / "desktop.ini"), QSettings.Format.IniFormat)
        self.group = group
        if group is not None:
            self._move_me_inside(group)

    def _move_me_inside(self, group: Any) -> None:
        """Earlier releases kept "this is me" in the INI file, naming the group and the member."""
        key = f"me/{group.id}"
        old = self.qsettings.value(key, "")
        if old and not group.local_setting("me"):
            group.set_local_setting("me", str(old))
        if self.qsettings.contains(key):
            self.qsettings.remove(key)
            self.sync()

    def me(self, group_id: str) -> str | None:
        if self.group is not None and self.group.id == group_id:
            return self.group.local_setting("me") or None
        value = self.qsettings.value(f"me/{group_id}", "")
        return str(value) or None

    def set_me(self, group_id: str, member_id: str | None) -> None:
        if self.group is not None and self.group.id == group_id:
            self.group.set_local_setting("me", member_id or "")
            return
        self.qsettings.setValue(f"me/{group_id}", member_id or "")
        self.sync()

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
        self._owner_only()

    def _owner_only(self) -> None:
        path = Path(self.qsettings.fileName())
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)
