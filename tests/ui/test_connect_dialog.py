"""Connect to address…, as a person fills it in: the other laptop's address and its own port,
read off that laptop's Laptops (every laptop listens on a port of its own)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from organiser.ui.dialogs import ConnectDialog, split_address


@pytest.fixture
def dialog(qtbot: Any) -> ConnectDialog:
    shown = ConnectDialog()
    qtbot.addWidget(shown)
    shown.show()
    shown.windowHandle().requestActivate()  # offscreen nothing activates a new window by itself
    qtbot.waitUntil(lambda: QApplication.activeWindow() is shown, timeout=3000)
    return shown


def fill(qtbot: Any, dialog: ConnectDialog, address: str, port: str) -> None:
    for field, text in ((dialog.host, address), (dialog.port, port)):
        qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(field, text)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)


def test_it_asks_for_the_other_laptops_address_and_port_and_fills_in_no_port(dialog: ConnectDialog) -> None:
    assert dialog.port.text() == ""  # not this laptop's own port: the other one listens elsewhere
    hint = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "Laptops" in hint and "its own address and port" in hint and "port of its own" in hint
    assert QApplication.focusWidget() is dialog.host  # the first thing to type


def test_an_address_and_a_port_typed_connect_there(dialog: ConnectDialog, qtbot: Any) -> None:
    fill(qtbot, dialog, "192.168.1.20", "47613")
    assert dialog.result() == ConnectDialog.DialogCode.Accepted
    assert dialog.address() == ("192.168.1.20", 47613)


def test_the_address_as_peers_and_group_shows_it_carries_its_port(dialog: ConnectDialog, qtbot: Any) -> None:
    fill(qtbot, dialog, "192.168.1.20:47613", "")
    assert dialog.result() == ConnectDialog.DialogCode.Accepted
    assert dialog.address() == ("192.168.1.20", 47613)


def test_an_address_without_its_port_is_refused_saying_where_the_port_is(dialog: ConnectDialog, qtbot: Any) -> None:
    fill(qtbot, dialog, "192.168.1.20", "")
    assert dialog.isVisible() and dialog.error.isVisible()
    assert dialog.error.text() == ("Port: type the other laptop's port, the number after the colon in the "
                                   "address its Laptops view shows.")
    assert QApplication.focusWidget() is dialog.port  # the keys go where the port is missing
    qtbot.keyClicks(dialog.port, "47613")
    qtbot.keyClick(dialog.port, Qt.Key.Key_Return)
    assert dialog.result() == ConnectDialog.DialogCode.Accepted and dialog.address() == ("192.168.1.20", 47613)


@pytest.mark.parametrize(("address", "port", "says"), [
    ("", "47613", "Address: type the other laptop's IP address"),
    ("192.168.1.20", "70000", "Port: '70000' is not a port"),
    ("192.168.1.20", "port", "Port: 'port' is not a port"),
])
def test_a_wrong_address_or_port_is_refused_in_one_sentence(dialog: ConnectDialog, qtbot: Any, address: str,
                                                            port: str, says: str) -> None:
    fill(qtbot, dialog, address, port)
    assert dialog.isVisible() and dialog.error.text().startswith(says) and dialog.error.text().endswith(".")


def test_a_port_the_admin_fixed_for_the_group_is_filled_in(qtbot: Any) -> None:
    fixed = ConnectDialog(fixed_port=47600)
    qtbot.addWidget(fixed)
    assert fixed.port.text() == "47600"


def test_addresses_split_with_their_port_ipv6_included() -> None:
    assert split_address(" 10.0.0.5:47613 ", "1") == ("10.0.0.5", "47613")
    assert split_address("[fe80::1]:47613", "") == ("fe80::1", "47613")
    assert split_address("fe80::1", "47613") == ("fe80::1", "47613")
    assert split_address("laptop.local", " 47613 ") == ("laptop.local", "47613")
