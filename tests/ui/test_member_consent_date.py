"""A member's consent, given in the form now, is dated today."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from organiser.services import clock
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click, with_modal
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


def test_the_form_and_the_pane_say_in_plain_words_what_agreeing_to_contact_means(
        window: MainWindow, qtbot: Any) -> None:
    """A newcomer read 'Consent: may be contacted by email' and 'no consent to contact' without
    knowing what the tick changes: the form says it, and the pane says what follows from no tick."""
    window.switch_to("members")
    view = window.members_view

    def read_form(dialog: Any) -> None:
        meaning = dialog.findChild(QLabel, "consent-meaning")
        assert meaning is not None and meaning.isVisible()
        assert meaning.text() == ("Tick only what they said yes to. Copy emails… leaves out anyone not ticked "
                                  "for email.")
        assert dialog.form.consent_email.text().replace("&", "") == "agreed to be contacted by email"
        qtbot.keyClicks(dialog.form.name, "Nadia Nocontact")
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    with_modal(lambda: qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton), read_form)
    assert "has not agreed to be contacted: left out when emails are copied" in view.detail.text()
