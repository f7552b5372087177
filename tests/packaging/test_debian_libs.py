"""What `make run` asks of a newcomer's machine: packaging/ensure-debian-libs.sh names (or, as root,
installs) the libraries the app needs, and only those; the tools the tests and the .deb build use
come with `make test` and `make package`. A fresh Debian laptop with nothing installed is played by
a dpkg-query that knows no package and an `id` that is not root, so nothing is installed here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "ensure-debian-libs.sh"
TEST_AND_PACKAGING_TOOLS = ("poppler-utils", "faketime", "nftables", "patchelf", "dpkg ", "libwayland-client0",
                            "khal", "syncthing")


def asked(tmp_path: Path, *args: str) -> str:
    """What the script prints on a Debian machine where no package is installed, run by a user."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")  # nothing is installed
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")  # not root: it names the packages instead
    for tool in fake.iterdir():
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    run = subprocess.run(["sh", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=30)
    assert run.returncode == 1
    return f" {' '.join(run.stdout.split())} "  # words apart, so " nftables " finds the package


def test_make_run_asks_only_for_what_the_app_needs(tmp_path: Path) -> None:
    said = asked(tmp_path)
    assert "sudo apt-get install" in said and "libxcb-cursor0" in said and "python3-venv" in said
    assert "libcups2" in said  # the attendance sheet's Print / PDF
    for tool in TEST_AND_PACKAGING_TOOLS:
        assert f" {tool.strip()} " not in said, f"make run asks for {tool.strip()}, which only tests or packaging use"


def test_make_test_asks_for_the_test_and_packaging_tools_too(tmp_path: Path) -> None:
    said = asked(tmp_path, "--with-test-tools")
    for tool in TEST_AND_PACKAGING_TOOLS:
        assert f" {tool.strip()} " in said, tool
    assert "libxcb-cursor0" in said


def test_make_package_asks_for_what_building_the_deb_needs(tmp_path: Path) -> None:
    said = asked(tmp_path, "--for-packaging")
    for tool in ("patchelf", "dpkg", "libwayland-client0", "libxcb-cursor0"):
        assert f" {tool} " in said, tool
    assert " nftables " not in said and " khal " not in said
