#!/bin/sh
# Make sure the Debian/Ubuntu libraries that Qt (PySide6) needs are present.
# As root, missing ones are installed; otherwise the exact apt command is printed.
set -eu

# To import Qt and run offscreen (tests, screenshots, selftest).
LIBS="libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libx11-6 fonts-dejavu-core"
# To show windows on a real X display.
LIBS="$LIBS libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0"
# venv for `make`.
LIBS="$LIBS python3-venv"
# The print plugin (Print / PDF of the attendance sheet) links libcups.
LIBS="$LIBS libcups2"
# That is all `make run` asks for. The .deb (`make package`, with --for-packaging; tests/packaging, with
# --with-test-tools): dpkg-deb builds it; the bundled Wayland plugin links these, and
# packaging/build.py must find every linked library on this machine to name its package in Depends:.
PACKAGING="dpkg patchelf libwayland-client0 libwayland-cursor0 libwayland-egl1"
# Only with --with-test-tools: iproute2 for the LAN tests' network namespaces; pdftotext reads back the
# attendance sheet and RSVP list the app saves as PDF (tests/ui/test_door.py); a laptop whose clock is
# years ahead, and 3 % packet loss by an nftables rule (tests/net/test_lan_chaos.py).
TEST_LIBS="iproute2 poppler-utils faketime nftables"
case "${1:-}" in
    --with-test-tools) LIBS="$LIBS $PACKAGING $TEST_LIBS" ;;
    --for-packaging) LIBS="$LIBS $PACKAGING" ;;
esac
# Only with --with-test-tools (`make test`), for the round-trip tests (tests/formats/test_client_*.py),
# which skip without them: the calendar, address book and task clients and a headless LibreOffice
# Calc that organisers use beside Organiser; and Syncthing, two real instances of which carry a group
# between namespaces (tests/net/test_syncthing*.py, tests/perf/folder_syncthing.py; skipped without it).
# And the C library's locale sources (`locales`), from which tests/locale builds ar_EG.UTF-8.
# And an X server, xdotool and GTK 3, to show that a file chosen in the app on GNOME is not listed
# in the desktop's recent files (tests/ui/test_seized_exports.py).
# `make run` never installs them.
TEST_TOOLS=""
[ "${1:-}" = "--with-test-tools" ] && TEST_TOOLS="khal khard todoman libreoffice-calc-nogui syncthing locales xvfb xdotool libgtk-3-0"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "Not a Debian/Ubuntu system: make sure Qt 6's runtime libraries (EGL, GL, xkbcommon, fontconfig, dbus) are installed."
    exit 0
fi

installed() {
    # Ubuntu 24.04 renamed some libraries with a t64 suffix; either name will do.
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" ||
        dpkg-query -W -f='${Status}' "${1}t64" 2>/dev/null | grep -q "ok installed"
}

missing_of() {
    out=""
    for pkg in "$@"; do
        installed "$pkg" || out="$out $pkg"
    done
    echo "$out"
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# shellcheck disable=SC2086
missing_tools=$(missing_of $TEST_TOOLS)
if [ -n "$missing_tools" ]; then
    if [ "$(id -u)" = "0" ]; then
        echo "Installing the tools the round-trip and Syncthing tests use:$missing_tools"
        # shellcheck disable=SC2086
        apt_install $missing_tools
    else
        echo "The round-trip and Syncthing tests skip without:$missing_tools (sudo apt-get install$missing_tools)"
    fi
fi

# shellcheck disable=SC2086
missing=$(missing_of $LIBS)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ]; then
    echo "Installing the Debian packages Organiser needs here:$missing"
    # shellcheck disable=SC2086
    apt_install $missing
else
    echo "Organiser needs these Debian packages:$missing"
    echo "Install them with:"
    echo "    sudo apt-get install$missing"
    exit 1
fi
