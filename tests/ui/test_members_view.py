"""Members: add, edit, delete with undo, search as you type, filters, through real widgets."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from organiser.ui.editor import RecordDialog
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import choose, click, click_row, with_modal


def names_shown(win: MainWindow) -> list[str]:
    model = win.members_view.table.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def save(dialog: RecordDialog, qtbot: Any) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)


def test_adding_a_member_through_the_dialog_shows_them_in_the_directory(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("members")
    view = window.members_view

    def fill(dialog: Any) -> None:
        form = dialog.form
        qtbot.keyClicks(form.name, "Zadie Quist")
        qtbot.keyClicks(form.emails, "zadie@example.org")
        qtbot.keyClicks(form.working_groups, "Housing")
        click(qtbot, form.consent_email)
        save(dialog, qtbot)

    new_id = with_modal(lambda: qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton) or view.current_id(),
                        fill)
    assert "Zadie Quist" in names_shown(window)
    member = window.group.members.get(new_id)
    assert member.emails == ["zadie@example.org"]
    assert member.roles == ["working group: Housing"] and member.consent_email
    assert "Zadie Quist" in view.detail.text() and "agreed to be contacted by email" in view.detail.text()


def test_a_refused_value_is_shown_next_to_its_field(window: MainWindow, qtbot: Any) -> None:
    dialog = RecordDialog(window.group, window.bridge, "member", parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.form.name)  # the first keystroke lands in Name
    qtbot.keyClicks(dialog.focusWidget(), "Someone")
    qtbot.keyClicks(dialog.form.emails, "not-an-address")
    save(dialog, qtbot)
    assert dialog.isVisible() or dialog.result() == 0
    assert dialog.form.error_text("emails") == "'not-an-address' is not a valid email address."
    assert dialog.form.error_text("name") == ""


def test_every_refusal_shows_at_once_in_plain_words_and_goes_when_fixed(window: MainWindow, qtbot: Any) -> None:
    dialog = RecordDialog(window.group, window.bridge, "member", parent=window)
    qtbot.addWidget(dialog)
    form = dialog.form
    qtbot.keyClicks(form.emails, "bob@")
    qtbot.keyClicks(form.phones, "call me")
    save(dialog, qtbot)
    assert form.error_text("name") == "A member needs a name; it cannot be empty."  # not "display name:"
    assert form.error_text("emails") == "'bob@' is not a valid email address."
    assert form.error_text("phones") == "'call me' is not a valid phone number."
    assert window.group.members.list(search="bob") == []
    qtbot.keyClick(form.emails, Qt.Key.Key_Backspace)
    qtbot.keyClicks(form.emails, "@example.org")
    assert form.error_text("emails") == ""  # put right: its message goes at once
    assert form.error_text("phones") != "" and form.error_text("name") != ""
    qtbot.keyClicks(form.name, "Bob Fixed")
    assert form.error_text("name") == ""


def test_the_fields_stay_where_they_are_while_a_refused_value_is_put_right(window: MainWindow, qtbot: Any) -> None:
    """The messages come on Save. Typing afterwards must not move the fields: a secretary who put the
    email right and reached for Phone clicked the gap the email's message had left (Phone had moved
    up under the pointer) and typed the phone number into Email."""
    dialog = RecordDialog(window.group, window.bridge, "member", parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    form = dialog.form
    qtbot.keyClicks(form.name, "Ana Lopez")
    qtbot.keyClicks(form.emails, "ana@example")
    qtbot.keyClicks(form.phones, "call me")
    save(dialog, qtbot)
    assert form.error_text("emails") != "" and form.error_text("phones") != ""

    def at(widget: Any) -> Any:
        """Where the widget is on screen once the layout has caught up (as a person sees it)."""
        QApplication.sendPostedEvents()
        QApplication.processEvents()
        return widget.mapToGlobal(widget.rect().topLeft())

    phone_at, roles_at = at(form.phones), at(form.roles)
    qtbot.mouseClick(form.emails, Qt.MouseButton.LeftButton)
    qtbot.keyClick(form.emails, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    for key in "anna@":  # on its way to being right, the email is wrong again: no message jumps in
        qtbot.keyClicks(form.emails, key)
        assert at(form.phones) == phone_at
    qtbot.keyClicks(form.emails, "example.org")
    assert form.error_text("emails") == ""  # put right: its message goes at once
    assert at(form.phones) == phone_at  # and Phone is still there
    qtbot.mouseClick(form.phones, Qt.MouseButton.LeftButton)
    qtbot.keyClick(form.phones, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(form.phones, "07700 900123")
    assert form.error_text("phones") == ""
    assert at(form.roles) == roles_at
    save(dialog, qtbot)
    ana = next(m for m in window.group.members.list() if m.name == "Ana Lopez")
    assert ana.emails == ["anna@example.org"] and ana.phones == ["07700 900123"]


def test_editing_a_member_changes_the_row_in_place(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("members")
    view = window.members_view
    target = view.model.rows[3]
    click_row(qtbot, view.table, 3)
    rows_before = view.table.model().rowCount()
    had_phone_consent = window.group.members.get(target.id).consent_phone

    def rename(dialog: Any) -> None:
        qtbot.keyClick(dialog.form.name, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(dialog.form.name, "Aaron Aardvark")
        click(qtbot, dialog.form.consent_phone)
        save(dialog, qtbot)

    with_modal(lambda: click(qtbot, view.edit_button), rename)
    assert view.table.model().rowCount() == rows_before
    assert names_shown(window)[0] == "Aaron Aardvark"
    assert view.current_id() == target.id  # still selected after it moved to the top
    assert window.group.members.get(target.id).consent_phone is not had_phone_consent  # the click toggled it


def test_deleting_a_member_can_be_undone(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("members")
    view = window.members_view
    target = view.model.rows[0]
    click_row(qtbot, view.table, 0)
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    assert target.name not in names_shown(window) or names_shown(window).count(target.name) < 2
    assert view.model.row_of(target.id) == -1
    assert view.banner.isVisible() and f"Deleted {target.name}" in view.banner.label.text()
    qtbot.mouseClick(view.banner.buttons[0], Qt.MouseButton.LeftButton)
    assert view.model.row_of(target.id) >= 0
    assert view.current_id() == target.id


def test_search_as_you_type_uses_the_full_text_index(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("members")
    view = window.members_view
    member = window.group.members.add("Philippa Quenby", emails=["pq@example.org"], notes="runs the food bank")
    qtbot.keyClicks(view.search, "food ba")
    assert names_shown(window) == ["Philippa Quenby"]
    view.search.clear()
    qtbot.keyClicks(view.search, "pq@exam")
    assert names_shown(window) == ["Philippa Quenby"]
    view.search.clear()
    assert len(names_shown(window)) == len(window.group.members.list())
    assert member.id in view.model.positions()


def test_role_and_working_group_filters(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("members")
    view = window.members_view
    window.group.members.add("Wanda Legal", roles=["treasurer", "working group: Legal"])
    qtbot.waitUntil(lambda: view.working_group.findText("Legal") >= 0)  # the new role is offered
    choose(qtbot, view.working_group, "Legal")
    shown = [r for r in view.model.rows]
    assert shown and all("Legal" in r.working_groups for r in shown)
    choose(qtbot, view.role, "treasurer")
    assert "Wanda Legal" in names_shown(window)
    assert all("treasurer" in r.plain_roles and "Legal" in r.working_groups for r in view.model.rows)


def test_a_lone_letter_shows_every_match_in_order_and_later_changes_land_in_place(window: MainWindow,
                                                                                  qtbot: Any) -> None:
    from organiser.store import queries

    window.switch_to("members")
    view = window.members_view
    header = view.table.horizontalHeader()
    email = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(header.count())].index("Email")
    for _ in range(2):  # a click on the Email heading sorts A to Z, a second Z to A
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(header.sectionViewportPosition(email) + 20, header.height() // 2))
    assert header.sortIndicatorSection() == email and header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    qtbot.keyClicks(view.search, "a")
    qtbot.waitUntil(lambda: view.model.search == "a")  # a lone letter waits for the next key
    matching = queries.search_rowids(window.group.db, "a")
    everyone = sorted(view.model._all.values(), key=lambda r: (", ".join(r.values.get("emails") or []).casefold(),
                                                               r.name.casefold(), r.id), reverse=True)
    assert [r.id for r in view.model.rows] == [r.id for r in everyone if r.rowid in matching]
    added = window.group.members.add("Abigail Zephyr", emails=["mmm@example.org"])  # between the others
    window.group.members.add("Bo Nomatch", emails=["zzz@example.org"])
    emails = [", ".join(r.values.get("emails") or []) for r in view.model.rows]
    assert "zzz@example.org" not in emails and "mmm@example.org" in emails
    assert emails == sorted(emails, key=str.casefold, reverse=True)
    assert names_shown(window)[view.model.row_of(added.id)] == "Abigail Zephyr"


def test_every_column_shows_on_a_1280_pixel_laptop_until_a_column_is_dragged(window: MainWindow, qtbot: Any) -> None:
    """The last column (Consent then) was cut to a sliver behind a scroll bar on a laptop's screen."""
    window.showNormal()  # the first start fills the (800-pixel) test screen
    window.resize(1280, 740)
    window.switch_to("members")
    table = window.members_view.table
    header = table.horizontalHeader()
    qtbot.waitUntil(lambda: table.model().rowCount() > 0, timeout=3000)
    last = header.count() - 1

    def whole(column: int) -> bool:
        return (header.sectionSize(column) >= header.sectionSizeHint(column)
                and header.sectionViewportPosition(column) + header.sectionSize(column) <= table.viewport().width())

    qtbot.waitUntil(lambda: whole(last), timeout=3000)
    assert not table.horizontalScrollBar().isVisible()
    # The person drags the edge between Name and Email 80 pixels to the right: the width is theirs.
    edge = QPoint(header.sectionViewportPosition(1) - 1, header.height() // 2)
    name_width = header.sectionSize(0)
    qtbot.mousePress(header.viewport(), Qt.MouseButton.LeftButton, pos=edge)
    qtbot.mouseMove(header.viewport(), edge + QPoint(80, 0))
    qtbot.mouseRelease(header.viewport(), Qt.MouseButton.LeftButton, pos=edge + QPoint(80, 0))
    assert header.sectionSize(0) == name_width + 80
    before = table.viewport().width()
    window.resize(1100, 740)
    qtbot.waitUntil(lambda: table.viewport().width() < before - 100, timeout=3000)
    assert header.sectionSize(0) == name_width + 80


def test_an_imported_contacts_note_keeps_its_lines_and_its_phones_their_labels(window: MainWindow,
                                                                                qtbot: Any) -> None:
    window.group.members.add("Jürgen Weiß", phones=["+49 30 1234567", "030 555 0101"],
                             phone_types={"+49 30 1234567": ["cell", "pref"], "030 555 0101": ["hausmeister"]},
                             emails=["juergen@example.de"], email_types={"juergen@example.de": ["home"]},
                             notes="Speaks German and Turkish.\nPrefers <SMS>.")
    window.switch_to("members")
    view = window.members_view
    click_row(qtbot, view.table, names_shown(window).index("Jürgen Weiß"))
    detail = view.detail.text()
    assert "Speaks German and Turkish.<br>Prefers &lt;SMS&gt;." in detail
    assert "+49 30 1234567 (cell, pref), 030 555 0101 (hausmeister)" in detail
    assert "juergen@example.de (home)" in detail


def test_an_event_title_written_as_markup_shows_as_typed_in_the_answer_drop_down_tooltip(
        window: MainWindow, qtbot: Any) -> None:
    """The RSVP drop-down shows a long title cut with … and whole in its tooltip, which renders what
    it takes for markup: a peer's title ending in `<br><!--` hid the rest, `<b>` set it bold."""
    from datetime import timedelta

    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent, QTextDocument
    from PySide6.QtWidgets import QApplication, QToolTip

    from tests.ui.conftest import NOW

    title = "General <b>assembly</b><br><!-- of the Riverside tenants"
    window.group.events.add(title, (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    window.switch_to("members")
    view = window.members_view
    click_row(qtbot, view.table, 0)
    combo = view.rsvp_event
    qtbot.waitUntil(combo.isEnabled, timeout=3000)
    (entry,) = [combo.itemText(i) for i in range(combo.count()) if combo.itemText(i).endswith(title)]
    choose(qtbot, combo, entry)
    hover = QHelpEvent(QEvent.Type.ToolTip, combo.rect().center(), combo.mapToGlobal(combo.rect().center()))
    QApplication.sendEvent(combo, hover)  # what resting the pointer on the drop-down sends
    qtbot.waitUntil(QToolTip.isVisible, timeout=3000)
    shown = QTextDocument()
    shown.setHtml(QToolTip.text())
    assert shown.toPlainText() == entry
    QToolTip.hideText()
