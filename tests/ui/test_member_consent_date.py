"""A member's consent, given in the form now, is dated today."""

from __future__ import annotations

from typing import Any

from organiser.services import clock
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click
from tests.ui.test_date_time_fields import save, shown_dialog


def test_ticking_consent_to_email_dates_the_consent_today(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "member")
    qtbot.keyClicks(dialog.form.name, "Cora Okafor")
    click(qtbot, dialog.form.consent_email)
    consent_date = dialog.form.consent_date
    assert consent_date.check.isChecked() and consent_date.edit.isEnabled()
    assert consent_date.edit.text() == clock.today().isoformat()
    save(dialog, qtbot)
    cora = next(m for m in window.group.members.list() if m.name == "Cora Okafor")
    assert cora.consent_email and cora.consent_date == clock.today().isoformat()
