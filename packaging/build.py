"""Build Organiser's one-folder app with PyInstaller and wrap it into a .deb.

    python packaging/build.py [--out DIR] [--config site.toml] [--reuse]

Prints the .deb's path on the last line. The package puts the app under /opt/organiser, a launcher
at /usr/bin/organiser, a desktop entry, hicolor icons, AppStream metainfo and a commented
/etc/organiser/config.toml (a dpkg conffile; --config puts an admin's own file there instead).
Its Depends: line is worked out from the bundle itself: every shared library the bundled ELF
files need that the bundle does not carry, mapped to the Debian package that holds it.
Standard library only, so it runs with the venv's Python before anything else is installed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "org.organiser.Organiser"
PACKAGE = "organiser"
INSTALL_DIR = "/opt/organiser"
MAINTAINER = "Organiser maintainers <organiser@example.org>"
# Needed at run time but not linked: Qt draws empty boxes without a font.
EXTRA_DEPENDS = ["fonts-dejavu-core | fonts-freefont-ttf | fonts-liberation2"]
ELF_MAGIC = b"\x7fELF"


class BuildError(Exception):
    """The build cannot go on; the message says why and what to do."""


@dataclass
class Built:
    deb: Path
    app_dir: Path  # the one-folder build
    pyinstaller_seconds: float
    deb_seconds: float
    installed_kib: int
    depends: list[str]


def version() -> str:
    text = (ROOT / "organiser" / "__init__.py").read_text()
    match = re.search(r'__version__ = "([^"]+)"', text)
    if not match:
        raise BuildError("organiser/__init__.py has no __version__")
    return match.group(1)


def run_pyinstaller(out: Path, reuse: bool) -> tuple[Path, float]:
    app_dir = out / "dist" / PACKAGE
    if reuse and (app_dir / PACKAGE).exists():
        return app_dir, 0.0
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(out / "dist"), "--workpath", str(out / "work"), str(HERE / "organiser.spec")]
    try:
        subprocess.run(cmd, check=True, cwd=ROOT)
    except FileNotFoundError as exc:
        raise BuildError(f"cannot run {sys.executable}: {exc}") from exc
    except subprocess.CalledProcessError as exc:
        raise BuildError("PyInstaller failed (its output is above). Is it installed? "
                         "`make package` installs it with pip install -e '.[package]'.") from exc
    return app_dir, time.perf_counter() - started


# ---- what the bundle needs from the system -----------------------------------------------


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == ELF_MAGIC:
                    found.append(path)
    return sorted(found)


DT_NEEDED, DT_RPATH, DT_RUNPATH = 1, 15, 29


def needed_libraries(path: Path) -> list[str]:
    """The DT_NEEDED entries of an ELF file: the libraries it links directly (not their own needs)."""
    return dynamic_strings(path).get(DT_NEEDED, [])


def search_paths(path: Path) -> list[str]:
    """The DT_RPATH and DT_RUNPATH entries: where the file asks the loader to look first."""
    found = dynamic_strings(path)
    return [p for tag in (DT_RPATH, DT_RUNPATH) for entry in found.get(tag, []) for p in entry.split(":")]


def dynamic_strings(path: Path) -> dict[int, list[str]]:
    """The text entries (NEEDED, RPATH, RUNPATH) of an ELF file's dynamic section, by tag."""
    data = path.read_bytes()
    is64, little = data[4] == 2, data[5] == 1
    end = "<" if little else ">"
    word = "Q" if is64 else "I"
    if is64:
        phoff, phentsize, phnum = struct.unpack_from(end + "Q", data, 32)[0], *struct.unpack_from(end + "HH", data, 54)
    else:
        phoff, phentsize, phnum = struct.unpack_from(end + "I", data, 28)[0], *struct.unpack_from(end + "HH", data, 42)
    loads, dynamic = [], None
    for i in range(phnum):
        base = phoff + i * phentsize
        p_type = struct.unpack_from(end + "I", data, base)[0]
        if is64:
            offset, vaddr, _paddr, filesz = struct.unpack_from(end + "QQQQ", data, base + 8)
        else:
            offset, vaddr, _paddr, filesz = struct.unpack_from(end + "IIII", data, base + 4)
        if p_type == 1:  # PT_LOAD
            loads.append((vaddr, offset, filesz))
        elif p_type == 2:  # PT_DYNAMIC
            dynamic = (offset, filesz)
    if dynamic is None:
        return {}
    entry = struct.calcsize(end + word * 2)
    offsets: dict[int, list[int]] = {}
    strtab = None
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], entry):
        tag, value = struct.unpack_from(end + word * 2, data, pos)
        if tag == 0:  # DT_NULL
            break
        if tag in (DT_NEEDED, DT_RPATH, DT_RUNPATH):
            offsets.setdefault(tag, []).append(value)
        elif tag == 5:  # DT_STRTAB, an address: find the file offset of the segment holding it
            strtab = next((value - v + o for v, o, size in loads if v <= value < v + size), None)
    if strtab is None:
        return {}
    return {tag: [data[strtab + n:data.index(b"\0", strtab + n)].decode() for n in found]
            for tag, found in offsets.items()}


def clear_build_machine_paths(folder: Path) -> int:
    """Drop search paths that point into the build machine (a pyenv's lib folder, say): on the laptops
    they lead nowhere, or somewhere nobody vetted. Paths relative to the file ($ORIGIN) stay."""
    cleared = 0
    for path in elf_files(folder):
        paths = search_paths(path)
        if paths and not all(p.startswith("$ORIGIN") for p in paths):
            if not shutil.which("patchelf"):
                raise BuildError(f"{path.name} asks the loader to look in {':'.join(paths)}; removing that "
                                 "needs patchelf: run `sh packaging/ensure-debian-libs.sh` as root.")
            subprocess.run(["patchelf", "--remove-rpath", str(path)], check=True)
            cleared += 1
    return cleared


def system_libraries(folder: Path) -> tuple[set[Path], set[str]]:
    """(system libraries the bundle links directly, linked names no library was found for)."""
    bundled = {p.name for p in folder.rglob("*.so*")}
    libs: set[Path] = set()
    missing: set[str] = set()
    env = {**os.environ, "LD_LIBRARY_PATH": ""}
    linking = [(path, direct) for path in elf_files(folder) if (direct := set(needed_libraries(path)) - bundled)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # one ldd per file adds up
        outputs = pool.map(lambda item: subprocess.run(["ldd", str(item[0])], capture_output=True, text=True,
                                                       env=env).stdout, linking)
    for (_path, direct), output in zip(linking, outputs, strict=True):
        found = {}
        for line in output.splitlines():  # ldd says where the dynamic loader finds each name
            match = re.match(r"\s*(\S+) => (not found|(\S+) \(0x[0-9a-f]+\))", line)
            if match:
                found[match.group(1)] = match.group(3)
        for name in direct:
            if found.get(name):
                libs.add(Path(found[name]))
            elif name not in found and name.startswith("ld-linux"):
                continue  # the dynamic loader itself is part of libc6
            else:
                missing.add(name)
    return libs, missing


def packages_of(libs: set[Path]) -> dict[Path, str]:
    """The Debian package that owns each library (one dpkg-query for all: each call reads every file list)."""
    candidates: dict[str, Path] = {}
    for lib in sorted(libs):
        for path in (lib, lib.resolve()):
            # Debian 12 merged /lib into /usr/lib, but dpkg still knows the old path for some packages.
            for name in (str(path), str(path).removeprefix("/usr")):
                candidates.setdefault(name, lib)
    result = subprocess.run(["dpkg-query", "-S", *candidates], capture_output=True, text=True)
    owners: dict[Path, str] = {}
    for line in result.stdout.splitlines():  # "libssl3:amd64: /usr/lib/x86_64-linux-gnu/libssl.so.3"
        packages, sep, path = line.rpartition(": ")
        if sep and path in candidates and not line.startswith("diversion "):
            owners.setdefault(candidates[path], packages.split(",")[0].split(":")[0].strip())
    return owners


def glibc_needed(folder: Path) -> str:
    """The newest GLIBC_x.y symbol version any bundled ELF file asks for."""
    newest = (2, 17)
    for path in elf_files(folder):
        for major, minor in re.findall(rb"GLIBC_(\d+)\.(\d+)", path.read_bytes()):
            newest = max(newest, (int(major), int(minor)))
    return f"{newest[0]}.{newest[1]}"


def depends_of(app_dir: Path) -> list[str]:
    libs, missing = system_libraries(app_dir)
    if missing:
        raise BuildError(f"the bundle needs libraries this machine lacks ({', '.join(sorted(missing))}); "
                         "run `sh packaging/ensure-debian-libs.sh` as root first.")
    owners = packages_of(libs)
    unowned = sorted(str(lib) for lib in libs if lib not in owners)
    if unowned:
        raise BuildError(f"no Debian package owns {', '.join(unowned)}; cannot name it in Depends:")
    packages = sorted(set(owners.values()) - {"libc6"})
    return [f"libc6 (>= {glibc_needed(app_dir)})", *packages, *EXTRA_DEPENDS]


# ---- the package tree --------------------------------------------------------------------


def stage(app_dir: Path, root: Path, site_config: Path | None) -> None:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(app_dir, root / INSTALL_DIR.lstrip("/"), symlinks=True)
    put(root / "usr/bin/organiser", f'#!/bin/sh\nexec {INSTALL_DIR}/organiser "$@"\n', mode=0o755)
    share = root / "usr/share"
    # The desktop file's name matches the app's QGuiApplication.desktopFileName ("organiser"), so a
    # Wayland shell ties the running window to this launcher and its icon.
    put(share / "applications/organiser.desktop", (HERE / "linux" / "organiser.desktop").read_text())
    put(share / f"metainfo/{APP_ID}.metainfo.xml", (HERE / "linux" / f"{APP_ID}.metainfo.xml").read_text())
    icons = share / "icons/hicolor"
    (icons / "scalable/apps").mkdir(parents=True)
    shutil.copyfile(ROOT / "resources" / "organiser.svg", icons / "scalable/apps/organiser.svg")
    (icons / "256x256/apps").mkdir(parents=True)
    shutil.copyfile(ROOT / "resources" / "organiser.png", icons / "256x256/apps/organiser.png")
    config = site_config or HERE / "config.sample.toml"
    put(root / "etc/organiser/config.toml", config.read_text())
    put(share / "doc/organiser/copyright", COPYRIGHT)
    changelog = share / "doc/organiser/changelog.gz"
    when = time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                         time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH") or time.time())))
    changelog.write_bytes(gzip.compress(CHANGELOG.format(version=version(), maintainer=MAINTAINER, when=when)
                                        .encode(), 9, mtime=0))
    put(share / "doc/organiser/config.sample.toml", (HERE / "config.sample.toml").read_text())
    for path in root.rglob("*"):  # dpkg wants 0755 folders and readable files whatever the umask was
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)


def put(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def installed_kib(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if "DEBIAN" in path.relative_to(root).parts[:1]:
            continue
        total += 1 if path.is_symlink() or path.is_dir() else (path.stat().st_size + 1023) // 1024
    return total


def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def write_control(root: Path, depends: list[str]) -> int:
    debian = root / "DEBIAN"
    debian.mkdir(parents=True, exist_ok=True)
    size = installed_kib(root)
    put(debian / "control", CONTROL.format(
        package=PACKAGE, version=version(), arch=architecture(), maintainer=MAINTAINER,
        size=size, depends=", ".join(depends)))
    put(debian / "conffiles", "/etc/organiser/config.toml\n")
    sums = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] != "DEBIAN" and path.is_file() and not path.is_symlink():
            sums.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {rel}\n")  # noqa: S324 - dpkg's format
    put(debian / "md5sums", "".join(sums))
    return size


def build_deb(root: Path, out: Path, level: int = 6) -> Path:
    deb = out / f"{PACKAGE}_{version()}_{architecture()}.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", "-Zxz", f"-z{level}", str(root), str(deb)],
                   check=True, stdout=subprocess.DEVNULL)
    return deb


class _SetOnEachLaptop(dict):
    """The environment of a laptop, unknown at build time: every variable counts as set there."""

    def get(self, key: str, default: object = None) -> str:
        return "/set-on-each-laptop"

    def __getitem__(self, key: str) -> str:
        return "/set-on-each-laptop"


def check_site_config(site_config: Path) -> list[str]:
    """The admin's file read as each laptop will read it, before the long build: a mistake stops
    the build (on the laptops it would be one line on a stderr nobody reads); the notes returned
    are things that work but are likely not meant."""
    spec = importlib.util.spec_from_file_location("organiser_config_for_build", ROOT / "organiser" / "config.py")
    assert spec and spec.loader
    config = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = config  # its dataclasses look themselves up there
    spec.loader.exec_module(config)
    values, problems = config.read_config_file(site_config, _SetOnEachLaptop())
    if problems:
        whole = problems[0].endswith("ignoring this config file.")
        first = problems[0].removesuffix(" Ignoring this value.").removesuffix("; ignoring this config file.")
        raise BuildError(f"--config {first}{'.' if whole else ''} Every laptop would ignore this "
                         f"{'file' if whole else 'value'}: mend the file and build again."
                         + (f" ({len(problems) - 1} more after it.)" if len(problems) > 1 else ""))
    text = site_config.read_text(encoding="utf-8")
    notes = []
    name = values.get("device_name")
    if name is not None and not config.differs_per_computer(name):
        notes.append(f"--config {site_config}, line {config.line_of_key(text, 'device_name')}: device_name '{name}' "
                     f"has no {{hostname}} or {{user}}, so every laptop installed from this package calls itself "
                     f"'{name}'; e.g. \"union {{hostname}}\" tells them apart.")
    if values.get("peers") and not values.get("listen_port"):
        port = config.parse_peer(values["peers"][0])[1]
        notes.append(f"--config {site_config}, line {config.line_of_key(text, 'peers')}: peers are listed but "
                     "listen_port is not set, so each laptop listens on a port of its own choosing and the ports "
                     f"in peers will not match; set listen_port = {port}.")
    return notes


def build(out: Path, site_config: Path | None = None, reuse: bool = False, level: int = 6) -> Built:
    if not shutil.which("dpkg-deb"):
        raise BuildError("dpkg-deb is missing: the .deb is built on Debian or Ubuntu (apt-get install dpkg).")
    if site_config and not site_config.is_file():
        raise BuildError(f"--config {site_config}: no such file.")
    for note in check_site_config(site_config) if site_config else []:
        print(f"packaging: note: {note}", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    app_dir, pyinstaller_seconds = run_pyinstaller(out, reuse)
    started = time.perf_counter()
    clear_build_machine_paths(app_dir)
    depends = depends_of(app_dir)
    root = out / "debroot"
    stage(app_dir, root, site_config)
    size = write_control(root, depends)
    deb = build_deb(root, out, level)
    return Built(deb, app_dir, pyinstaller_seconds, time.perf_counter() - started, size, depends)


CONTROL = """\
Package: {package}
Version: {version}
Architecture: {arch}
Maintainer: {maintainer}
Installed-Size: {size}
Depends: {depends}
Section: utils
Priority: optional
Homepage: https://example.org/organiser
Description: events, tasks and members for self-organised groups
 Organiser keeps a group's events, tasks and member directory on every
 member's laptop and works fully offline. Laptops of the same group on a
 local network find each other over mDNS and exchange signed changes
 directly, with no server. This package bundles Python and Qt (PySide6)
 under /opt/organiser. Admins can pre-set the data folder, device name,
 port, discovery and static peers in /etc/organiser/config.toml.
"""

CHANGELOG = """\
organiser ({version}) unstable; urgency=medium

  * Built with PyInstaller by packaging/build.py.

 -- {maintainer}  {when}
"""

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: organiser

Files: *
Copyright: Organiser contributors
License: GPL-3.0-or-later

Files: opt/organiser/_internal/*
Comment: The bundled Python runtime (PSF License), Qt 6 and PySide6 (LGPL-3.0), cryptography
 (Apache-2.0 or BSD-3-Clause), zeroconf (LGPL-2.1-or-later), sqlite-utils (Apache-2.0), qasync
 (BSD-2-Clause), icalendar (BSD-2-Clause), vobject (Apache-2.0), segno (BSD-3-Clause) and
 python-dateutil (Apache-2.0 or BSD-3-Clause), each under its own licence.
License: various

License: GPL-3.0-or-later
 On Debian systems the full text is in /usr/share/common-licenses/GPL-3.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package", help="build folder")
    parser.add_argument("--config", type=Path, default=None,
                        help="an admin's config.toml to install as /etc/organiser/config.toml")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing one-folder build in --out")
    parser.add_argument("--compression-level", type=int, choices=range(10), default=6, metavar="0-9",
                        help="xz level: 6 (default) gives the smallest .deb in about a minute, 1 takes ~10 s "
                        "and gives a .deb about 15%% larger")
    args = parser.parse_args(argv)
    try:
        built = build(args.out.resolve(), args.config, args.reuse, args.compression_level)
    except BuildError as exc:
        print(f"packaging: {exc}", file=sys.stderr)
        return 1
    print(f"PyInstaller {built.pyinstaller_seconds:.1f} s, .deb {built.deb_seconds:.1f} s, "
          f"{built.deb.stat().st_size / 1e6:.1f} MB, installs {built.installed_kib / 1024:.0f} MiB")
    print(f"Depends: {', '.join(built.depends)}")
    print(built.deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
