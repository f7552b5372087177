"""Build the .deb the way `make package` does, look inside it, unpack it and run what it installs."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from organiser import __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),  # the first test's set-up builds the .deb (up to 600 s; 253 s at load 5.5, 442 s at 9)
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is missing: .debs are built on Debian"),
]

# What DESIGN.md says Qt needs, to import and run offscreen and on an X display.
QT_NEEDS = ["libegl1", "libgl1", "libxkbcommon0", "libfontconfig1", "libfreetype6", "libdbus-1-3", "libglib2.0-0",
            "libx11-6", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-render-util0",
            "libxcb-shape0", "libxcb-xkb1", "libxkbcommon-x11-0"]


def load_builder():  # packaging/build.py is a script, not part of the organiser package
    spec = importlib.util.spec_from_file_location("organiser_packaging_build", ROOT / "packaging" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@dataclass
class Package:
    deb: Path
    out: Path  # the build folder (one-folder app in out/dist/organiser)
    root: Path  # the .deb unpacked with dpkg-deb -x

    @property
    def binary(self) -> Path:
        return self.root / "opt" / "organiser" / "organiser"


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Package]:
    """Built once per test run; xz level 0 because the level only changes the archive's size."""
    out = tmp_path_factory.mktemp("package")
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--out", str(out),
                             "--compression-level", "0"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    deb = Path(result.stdout.strip().splitlines()[-1])  # the last line is the .deb's path
    root = out / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    yield Package(deb, out, root)


def run_packaged(package: Package, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "ORGANISER_", "PYTHON"))}
    clean["HOME"] = str(package.out / "home")  # no user config, no user data
    return subprocess.run([str(package.binary), *args], capture_output=True, text=True, timeout=120,
                          env={**clean, **(env or {})}, cwd=package.out)


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


def test_metadata_names_the_package_version_and_what_qt_needs(package: Package) -> None:
    assert package.deb.name == f"organiser_{__version__}_{field(package.deb, 'Architecture')}.deb"
    assert field(package.deb, "Package") == "organiser"
    assert field(package.deb, "Version") == __version__
    depends = [d.strip() for d in field(package.deb, "Depends").split(",")]
    for library in QT_NEEDS:
        assert library in depends or f"{library}t64" in depends, f"{library} missing from Depends: {depends}"
    assert any(d.startswith("fonts-dejavu-core") for d in depends)
    assert re.fullmatch(r"libc6 \(>= 2\.\d+\)", depends[0])
    info = subprocess.run(["dpkg-deb", "-I", str(package.deb)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^ +\d+ bytes, +\d+ lines +conffiles", info, re.M)


def test_installed_size_is_what_unpacks(package: Package) -> None:
    declared_kib = int(field(package.deb, "Installed-Size"))
    files = [p for p in package.root.rglob("*") if p.is_file() and not p.is_symlink()]  # the bundle has links
    unpacked_kib = sum((p.stat().st_size + 1023) // 1024 for p in files)
    assert abs(declared_kib - unpacked_kib) / unpacked_kib < 0.02


def test_file_list_has_app_launcher_desktop_entry_icon_metainfo_and_config(package: Package) -> None:
    listing = subprocess.run(["dpkg-deb", "-c", str(package.deb)], capture_output=True, text=True, check=True).stdout
    paths = {line.split()[-1] for line in listing.splitlines()}
    for expected in ["./opt/organiser/organiser", "./usr/bin/organiser", "./usr/share/applications/organiser.desktop",
                     "./usr/share/icons/hicolor/scalable/apps/organiser.svg",
                     "./usr/share/icons/hicolor/256x256/apps/organiser.png",
                     "./usr/share/metainfo/org.organiser.Organiser.metainfo.xml", "./etc/organiser/config.toml",
                     "./usr/share/doc/organiser/copyright"]:
        assert expected in paths
    assert all(" root/root " in line for line in listing.splitlines())
    # PySide6-Essentials only, and only the Qt modules the app uses.
    for unwanted in ("WebEngine", "libQt6Qml", "libQt6Quick", "libqgtk3", "libqeglfs", "QtTest", "tkinter"):
        assert not [p for p in paths if unwanted in p], unwanted
    # The distribution's own libraries come through Depends:, not inside the bundle.
    assert not [p for p in paths if re.search(r"/_internal/lib(ssl|glib-2\.0|X11|fontconfig)\.so", p)]
    assert any(p.endswith("/_internal/organiser/resources/organiser.svg") for p in paths)  # the window's icon
    assert "./usr/share/doc/organiser/changelog.gz" in paths


def test_no_bundled_library_looks_for_libraries_on_the_build_machine(package: Package) -> None:
    builder = load_builder()
    elves = builder.elf_files(package.root / "opt/organiser")
    assert len(elves) > 50
    foreign = {p.name: builder.search_paths(p) for p in elves
               if any(not entry.startswith("$ORIGIN") for entry in builder.search_paths(p))}
    assert foreign == {}


def test_desktop_entry_launches_the_installed_command(package: Package) -> None:
    launcher = (package.root / "usr/bin/organiser").read_text()
    assert launcher == '#!/bin/sh\nexec /opt/organiser/organiser "$@"\n'
    assert os.access(package.root / "usr/bin/organiser", os.X_OK)
    entry = (package.root / "usr/share/applications/organiser.desktop").read_text()
    assert "\nExec=organiser\n" in entry and "\nIcon=organiser\n" in entry


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli is not installed")
def test_metainfo_is_valid_appstream(package: Package) -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net",
                             str(package.root / "usr/share/metainfo/org.organiser.Organiser.metainfo.xml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_packaged_binary_prints_its_version(package: Package) -> None:
    result = run_packaged(package, "--version")
    assert (result.returncode, result.stdout) == (0, f"organiser {__version__}\n")


def test_packaged_selftest_passes_offscreen_without_being_told(package: Package) -> None:
    result = run_packaged(package, "selftest")  # no QT_QPA_PLATFORM in its environment: selftest sets it
    assert result.returncode == 0, result.stdout + result.stderr
    line = result.stdout.strip()
    assert line.startswith(f"organiser {__version__} selftest passed in ")
    assert "window ok (" in line and "on offscreen)" in line
    assert "store ok" in line and "tls ok (TLSv1.3" in line and "zeroconf ok" in line
    assert "encryption ok (SQLCipher 4." in line  # sqlcipher3 and argon2 are bundled


def test_shipped_config_changes_nothing_and_a_broken_one_is_named(package: Package) -> None:
    shipped = package.root / "etc/organiser/config.toml"
    result = run_packaged(package, "config", env={"ORGANISER_SYSTEM_CONFIG": str(shipped)})
    assert result.returncode == 0 and result.stderr == ""
    assert re.search(r"\nlisten_port +\(not set\)", result.stdout)

    broken = package.out / "broken.toml"
    broken.write_text(shipped.read_text() + "\nlisten_port = [47800\n")
    lines = len(broken.read_text().splitlines())
    result = run_packaged(package, "config", env={"ORGANISER_SYSTEM_CONFIG": str(broken)})
    assert result.returncode == 0
    assert result.stderr.startswith(f"organiser: {broken}, line {lines}: ")
    assert result.stderr.rstrip().endswith("ignoring this config file.")


def test_an_admins_own_config_replaces_the_sample(package: Package, tmp_path: Path) -> None:
    builder = load_builder()
    site = tmp_path / "site.toml"
    site.write_text('discovery = false\npeers = ["10.0.0.5:47800"]\n')
    builder.stage(package.out / "dist" / "organiser", tmp_path / "root", site)
    assert (tmp_path / "root/etc/organiser/config.toml").read_text() == site.read_text()
