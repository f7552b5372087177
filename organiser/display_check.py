"""Whether the window can open here at all, asked before Qt is started: Qt itself aborts with
messages about platform plugins and libraries that do not say what to do."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping


def display_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the window cannot open here (one sentence), or None. Without this check Qt
    aborts with a message about platform plugins that does not say what to do."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return ("there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set): "
            "run it from a desktop session, or use the command line (organiser --help).")


def unanswered_display(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the window cannot open on the X display DISPLAY names (one sentence), or None. Qt
    aborts when that server does not answer (an SSH session's stale DISPLAY, a display that has
    gone) with a message about libxcb-cursor0 and reinstalling, which sends people installing
    packages they have; so ask libX11, as Qt would, whether it answers."""
    env = os.environ if environ is None else environ
    display, platform = env.get("DISPLAY", ""), env.get("QT_QPA_PLATFORM", "")
    on_x = platform.startswith("xcb") if platform else not env.get("WAYLAND_DISPLAY")
    if not sys.platform.startswith("linux") or not display or not on_x:
        return None
    try:
        xlib = ctypes.CDLL("libX11.so.6")
    except OSError:
        return None  # no libX11 to ask: Qt says what it says
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = xlib.XOpenDisplay(display.encode())
    if connection:
        xlib.XCloseDisplay(connection)
        return None
    return (f"the display {display} (DISPLAY) does not answer, so the window cannot open there: run it "
            "from a desktop session, or use the command line (organiser --help).")


__all__ = ["display_problem", "unanswered_display"]
