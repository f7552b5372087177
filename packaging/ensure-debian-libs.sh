#!/bin/sh
# Make sure the Debian/Ubuntu libraries that Qt (PySide6) needs are present.
# As root, missing ones are installed; otherwise the exact apt command is printed.
set -eu

# To import Qt and run offscreen (tests, screenshots, selftest).
LIBS="libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libx11-6 fonts-dejavu-core"
# To show windows on a real X display.
LIBS="$LIBS libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0"
# venv for `make`, iproute2 for the LAN tests' network namespaces.
LIBS="$LIBS python3-venv iproute2"
# The minutes export test reads the PDF back with a real reader (pdftotext).
LIBS="$LIBS poppler-utils"
# The .deb (`make package`, tests/packaging): dpkg-deb builds it; the bundled Wayland plugin links these,
# and packaging/build.py must find every linked library on this machine to name its package in Depends:.
LIBS="$LIBS dpkg patchelf libwayland-client0 libwayland-cursor0 libwayland-egl1"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "Not a Debian/Ubuntu system: make sure Qt 6's runtime libraries (EGL, GL, xkbcommon, fontconfig, dbus) are installed."
    exit 0
fi

missing=""
for pkg in $LIBS; do
    # Ubuntu 24.04 renamed some libraries with a t64 suffix; either name will do.
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" &&
       ! dpkg-query -W -f='${Status}' "${pkg}t64" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ]; then
    echo "Installing Debian packages Qt needs:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "Organiser needs these Debian packages:$missing"
    echo "Install them with:"
    echo "    sudo apt-get install$missing"
    exit 1
fi
