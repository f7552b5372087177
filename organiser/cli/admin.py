"""`selftest` and `config`: for admins who install Organiser on many machines."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from organiser import __version__
from organiser.cli.common import add_json_flag, print_json
from organiser.config import Settings, differs_per_computer, settings, system_config_path, user_config_path

if TYPE_CHECKING:
    import ssl

    from PySide6.QtWidgets import QApplication

    from organiser.services.group import Group

CHECKS = ("modules", "config", "store", "encryption", "tls", "zeroconf", "window")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("selftest", help="check that this installation works",
                       description="Check this installation: every module imports, a record is written and "
                       "read back in a temporary data folder, an encrypted group (SQLCipher, Argon2id) keeps "
                       "it unreadable without its passphrase, TLS works, zeroconf imports, and the main "
                       "window opens (offscreen unless --display). Prints one line; exits 1 naming the "
                       "check that failed. Nothing is sent on the network.")
    p.add_argument("--only", action="append", choices=CHECKS, metavar="CHECK",
                   help=f"run only this check (repeatable): {', '.join(CHECKS)}")
    p.add_argument("--display", action="store_true",
                   help="open the window on the real display instead of offscreen")
    add_json_flag(p, "each check's result and timing")
    p.set_defaults(handler=cmd_selftest)

    p = sub.add_parser("config", help="show the settings in effect and where each comes from",
                       description="Show the effective settings (data folder, laptop name, listen port, "
                       "discovery, peers), which file, variable or flag set each, and the config files read.")
    add_json_flag(p, "the settings")
    p.set_defaults(handler=cmd_config)


# ---- selftest -----------------------------------------------------------------------------


class CheckFailed(Exception):
    """A check found this installation broken; the message says what is wrong."""


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class SelfTest:
    data_dir: Path
    display: bool = False
    window_painted_at: float | None = None  # wall-clock time, for start-up measurements

    def run(self, names: tuple[str, ...] = CHECKS) -> list[CheckResult]:
        results = []
        for name in names:
            check: Callable[[], str] = getattr(self, f"check_{name}")
            started = time.perf_counter()
            try:
                results.append(CheckResult(name, True, check(), time.perf_counter() - started))
            except Exception as exc:  # noqa: BLE001 - any failure is this check's finding, reported by name
                detail = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
                results.append(CheckResult(name, False, detail, time.perf_counter() - started))
        return results

    def check_modules(self) -> str:
        """Every Organiser module imports: a packaged build that missed one fails here, not in use."""
        import importlib
        import pkgutil

        import organiser

        names = sorted(m.name for m in pkgutil.walk_packages(organiser.__path__, "organiser."))
        broken = []
        environment = dict(os.environ)  # a script module may set variables (QT_QPA_PLATFORM) on import
        try:
            for name in names:
                try:
                    importlib.import_module(name)
                except Exception as exc:  # noqa: BLE001 - collected and named below
                    broken.append(f"{name} ({type(exc).__name__}: {exc})")
        finally:
            os.environ.clear()
            os.environ.update(environment)
        if broken:
            raise CheckFailed("cannot import " + "; ".join(broken))
        return f"{len(names)} modules"

    def check_config(self) -> str:
        """The admin's and the user's config files as this program reads them: a value skipped
        there is said only on stderr, which nobody sees when the app starts from a menu."""
        current = settings()
        if current.problems:
            raise CheckFailed(" ".join(current.problems))
        files = [str(p) for p in (system_config_path(), user_config_path()) if str(p) in current.sources.values()]
        count = sum(1 for source in current.sources.values() if source in files)
        return f"{count} settings from {', '.join(files)}" if files else "no config file, defaults"

    def check_store(self) -> str:
        from organiser.services.group import open_group

        group = self._ensure_group()
        try:
            member = group.members.add("Ada Selftest", roles=["door"], emails=["ada@example.org"])
            written_hash = group.replica.state_hash()
        finally:
            group.close()
        again = open_group(self.data_dir)
        try:
            found = again.members.get(member.id)
            if (found.name, found.roles, found.emails) != ("Ada Selftest", ["door"], ["ada@example.org"]):
                raise CheckFailed(f"the member read back differs from the one written: {found}")
            if again.replica.state_hash() != written_hash:
                raise CheckFailed("the state hash changed between closing and reopening the database")
        finally:
            again.close()
        return "member written and read back"

    def check_encryption(self) -> str:
        """An encrypted group (SQLCipher with an Argon2id-sealed key): written, unreadable on disk and
        without the passphrase, read back with it."""
        import sqlcipher3

        from organiser.core.errors import PassphraseError
        from organiser.services.group import create_group, open_group

        data_dir, passphrase = self.data_dir.parent / "encrypted", "selftest passphrase"
        started = time.perf_counter()
        group = create_group(data_dir, "Selftest encrypted group", "selftest device", passphrase=passphrase)
        created = time.perf_counter() - started
        try:
            group.members.add("Ada Encrypted")
            database = group.path / "organiser.db"
        finally:
            group.close()
        if any(b"Ada Encrypted" in path.read_bytes() for path in group.path.iterdir() if path.is_file()):
            raise CheckFailed("a member's name is readable in the encrypted group's files")
        try:
            open_group(data_dir, passphrase="not the passphrase").close()
            raise CheckFailed("the encrypted group opened with a wrong passphrase")
        except PassphraseError:
            pass
        again = open_group(data_dir, passphrase=passphrase)
        try:
            if [m.name for m in again.members.list()] != ["Ada Encrypted"]:
                raise CheckFailed("the member read back from the encrypted group differs from the one written")
            version = again.db.execute("PRAGMA cipher_version").fetchone()[0]
        finally:
            again.close()
        if not database.exists() or sqlcipher3.sqlite_version_info < (3, 35):
            raise CheckFailed("SQLCipher is missing or too old")
        return f"SQLCipher {version}, Argon2id unlock {created:.2f} s"

    def check_tls(self) -> str:
        import ssl

        certificate, key = _self_signed_certificate()
        cert_file, key_file = self.data_dir / "selftest-cert.pem", self.data_dir / "selftest-key.pem"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cert_file.write_bytes(certificate)
        key_file.write_bytes(key)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.minimum_version = ssl.TLSVersion.TLSv1_3
        server.load_cert_chain(cert_file, key_file)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.minimum_version = ssl.TLSVersion.TLSv1_3
        client.load_verify_locations(cafile=cert_file)
        version, echoed = _handshake_in_memory(server, client, "selftest.organiser.invalid")
        if echoed != b"ping":
            raise CheckFailed(f"TLS delivered {echoed!r} instead of b'ping'")
        return f"{version}, {' '.join(ssl.OPENSSL_VERSION.split()[:2])}"

    def check_zeroconf(self) -> str:
        import socket

        import zeroconf
        from zeroconf import ServiceInfo
        from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf  # noqa: F401 - importing is the check

        # Building a record exercises zeroconf's compiled modules without opening a socket.
        info = ServiceInfo("_organiser._tcp.local.", "selftest._organiser._tcp.local.", port=47800,
                           properties={"v": "1"}, addresses=[socket.inet_aton("127.0.0.1")],
                           server="selftest.local.")
        if info.properties.get(b"v") != b"1":
            raise CheckFailed("zeroconf lost a TXT property while building a service record")
        return f"zeroconf {zeroconf.__version__}, imported only"

    def check_window(self) -> str:
        if not self.display:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
            os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")  # offscreen's notes are noise here
        from PySide6.QtCore import qInstallMessageHandler
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([sys.argv[0] or "organiser"])
        previous_handler = None if self.display else qInstallMessageHandler(_quiet_offscreen_notes)
        try:
            return self._open_window(app)
        finally:
            if not self.display:
                qInstallMessageHandler(previous_handler)

    def _open_window(self, app: QApplication) -> str:
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtGui import QFontDatabase

        try:
            from organiser.app import build_main_window
        except ImportError as exc:
            raise CheckFailed(f"the app has no main window to open (organiser.app.build_main_window: {exc})") from exc
        if not QFontDatabase.families():
            raise CheckFailed("Qt finds no fonts, so every text would be blank: install fonts-dejavu-core")

        from organiser.ui.overrides import guarded

        class PaintWatcher(QObject):
            painted = False

            @guarded
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
                if event.type() == QEvent.Type.Paint:
                    self.painted = True
                return False

        group = self._ensure_group()
        try:
            window = build_main_window(group)
            watcher = PaintWatcher()
            window.installEventFilter(watcher)
            window.show()
            deadline = time.monotonic() + 10
            while not watcher.painted and time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.002)
            if not watcher.painted:
                raise CheckFailed(f"the main window was shown but not painted within 10 s "
                                  f"(platform {app.platformName()})")
            self.window_painted_at = time.time()
            image = window.grab().toImage()
            colours = {image.pixel(x, y) for x in range(0, image.width(), 13) for y in range(0, image.height(), 13)}
            if len(colours) < 3:
                raise CheckFailed("the main window painted as a blank rectangle")
            title = window.windowTitle()
            window.close()
            window.deleteLater()
            app.processEvents()
        finally:
            group.close()
        return f"'{title}' painted {image.width()}x{image.height()} on {app.platformName()}"

    def _ensure_group(self) -> Group:
        from organiser.services.group import create_group, open_group
        from organiser.store.datadir import group_dirs

        if group_dirs(self.data_dir):
            return open_group(self.data_dir)
        return create_group(self.data_dir, "Selftest group", "selftest device")


def _quiet_offscreen_notes(_kind: object, _context: object, message: str) -> None:
    if "does not support propagateSizeHints" not in message:  # offscreen cannot size windows; expected
        print(message, file=sys.stderr)


def _self_signed_certificate() -> tuple[bytes, bytes]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "selftest.organiser.invalid")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("selftest.organiser.invalid")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def _handshake_in_memory(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
                         hostname: str) -> tuple[str, bytes]:
    """A full TLS handshake and one message between two in-memory ends: no socket at all."""
    import ssl

    s_in, s_out, c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=hostname)
    done = {"server": False, "client": False}
    for _ in range(20):
        for side, end in (("client", client), ("server", server)):
            if not done[side]:
                try:
                    end.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            break
    else:
        raise CheckFailed("the in-memory TLS handshake did not finish")
    client.write(b"ping")
    s_in.write(c_out.read())
    return str(client.version()), server.read(4)


def cmd_selftest(args: argparse.Namespace) -> int:
    names = tuple(n for n in CHECKS if not args.only or n in args.only)
    started = time.perf_counter()
    settings()  # a broken config file is named on stderr here too; the checks run on defaults
    with tempfile.TemporaryDirectory(prefix="organiser-selftest-") as tmp:
        test = SelfTest(Path(tmp) / "data", display=args.display)
        results = test.run(names)
    total = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    if args.json:
        print_json({"version": __version__, "ok": not failed, "seconds": round(total, 3),
                    "window_painted_at": test.window_painted_at, "checks": [asdict(r) for r in results]})
    else:
        print(_selftest_sentence(results, total))
    return 1 if failed else 0


def _selftest_sentence(results: list[CheckResult], seconds: float) -> str:
    failed = [r for r in results if not r.ok]
    if not failed:
        return (f"organiser {__version__} selftest passed in {seconds:.1f} s: "
                + "; ".join(f"{r.name} ok ({r.detail})" for r in results))
    passed = [r.name for r in results if r.ok]
    return (f"organiser {__version__} selftest FAILED: " + "; ".join(f"{r.name}: {r.detail}" for r in failed)
            + (f" (passed: {', '.join(passed)})" if passed else ""))


# ---- config -------------------------------------------------------------------------------


def _config_row(current: Settings, args: argparse.Namespace, name: str, value: str,
                source: str) -> tuple[str, str, str]:
    """A setting, its value and where it comes from; the data folder as the command will use it."""
    from organiser.store.datadir import default_data_dir

    if name != "data_dir":
        return name, value, source
    if args.data_dir:  # the command line wins over files and environment, as for every command
        return name, str(args.data_dir.expanduser()), "command line (--data-dir)"
    return name, str(default_data_dir()) if current.data_dir is None else value, source


def cmd_config(args: argparse.Namespace) -> int:
    current = settings()
    files = [str(system_config_path()), str(user_config_path())]
    rows = [_config_row(current, args, name, value, source) for name, value, source in current.describe()]
    if args.json:
        print_json({"settings": {name: {"value": value, "source": source} for name, value, source in rows},
                    "device_name_here": current.device_name_for_this_device(),
                    "files": files, "problems": list(current.problems)})
        return 0
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("setting", "value"))]
    for name, value, source in [("setting", "value", "from"), *rows]:  # no cut-off: paths are long
        print(f"{name.ljust(widths[0])}  {value.ljust(widths[1])}  {source}")
    print(f"\nThis laptop would be called '{current.device_name_for_this_device()}'.")
    if current.source_of("device_name") == files[0] and not differs_per_computer(current.device_name):
        print(f"Note: device_name in {files[0]} has no {{hostname}} or {{user}}: every computer given this file "
              f"calls its laptop '{current.device_name}'.")
    print("Config files read, later ones win (then environment, then command line):")
    for path in files:
        print(f"  {path}{'' if Path(path).exists() else '  (absent)'}")
    return 0
