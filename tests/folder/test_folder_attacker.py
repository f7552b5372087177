"""An attacker's view of folder sync: a member in bad faith and a removed device writing into
the shared folder. Each test asserts what a sound app does; each fails on the code it was
written against (branch attack-folder), for the attack's reason. Strangers and the file
system: test_folder_attacker_files.py."""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson

from organiser.core.changeset import Op, encode_body
from organiser.folder import crypto, layout, segments
from organiser.folder.segments import encode_json, encode_segment
from organiser.services import folder_pass
from organiser.services.folder_cards import card_body
from organiser.services.folder_pass import Keyring
from organiser.services.group import Group
from organiser.store import folders as store
from organiser.store import incidents
from organiser.sync.outbox import missing
from tests.conftest import sync_pair
from tests.folder.conftest import folders, make_group

STRANGER = "f" * 32  # an author no roster knows: its changesets' signatures are never checked


def dir_of(reader: Group, device: Group | None = None) -> str:
    """The folder name of `device` (default: `reader`), as `reader` works it out."""
    return crypto.device_folder_name(Keyring(reader.replica).names, (device or reader).device_id)


def put_segment(shared: Path, device_dir: str, number: int, compressed: bytes, key: crypto.FolderKey) -> str:
    """A sealed segment at its place: what any holder of a folder key can write."""
    rel = f"{device_dir}/{layout.segment_name(number)}"
    layout.write_whole(shared / rel, crypto.seal(key, compressed, rel))
    return rel


def stranger_rows(group: str, count: int) -> list[tuple[str, int, bytes, bytes]]:
    """Well-formed changesets of an author that is in no roster (so never signature-checked)."""
    return [(STRANGER, seq, encode_body(group, STRANGER, seq, "0" * 64, 1 << 40, [Op("member", "m", "name", "x")]),
             bytes(64)) for seq in range(1, count + 1)]


def in_one_folder(tmp_path: Path, count: int) -> tuple[list[Group], Path]:
    devices = make_group(tmp_path, count)
    shared = tmp_path / "shared"
    shared.mkdir()
    for device in devices:
        folders(device).add(str(shared))
    for _round in range(2):  # cards, so keys can be sealed to each after a removal
        for device in devices:
            folders(device).sync()
    return devices, shared


def count_calls(monkeypatch, module, name: str) -> list[int]:
    calls = [0]
    real = getattr(module, name)

    def counting(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


# ---- what a segment says it holds ---------------------------------------------------------

def test_a_removed_devices_empty_segment_claiming_everything_does_not_stop_the_others_writing(tmp_path):
    """The header's spans are trusted as what the folder holds, though only each changeset is
    checked to lie inside them: zero changesets covering every author up to 10**15, sealed under
    the epoch-0 key a removed device keeps, and no member writes anything to the folder again."""
    (admin, member, leaver), shared = in_one_folder(tmp_path, 3)
    epoch0 = Keyring(leaver.replica).first
    admin.membership.remove("laptop 2")
    folders(admin).sync()
    folders(member).sync()  # the member now holds the new key
    claim = {d.device_id: [1, 10**15] for d in (admin, member, leaver)}
    header = orjson.dumps({"w": leaver.device_id, "g": admin.id, "c": claim, "n": 0}) + b"\n"
    put_segment(shared, dir_of(leaver), 90, zlib.compress(header), epoch0)
    folders(admin).sync()
    folders(member).sync()
    made = admin.members.add("Said after the claim")
    folders(admin).sync()
    folders(member).sync()
    assert made.id in {m.id for m in member.members.list()}


# ---- files read again and again, and their size -------------------------------------------

def test_a_segment_of_strangers_changesets_is_not_decoded_again_at_every_pass(tmp_path, monkeypatch):
    """A file refused as 'stranger' is kept pending and read again at every pass (every second
    under the app), whole: 50,000 such changesets are a 0.3 MB file and 1.4 s of CPU a pass."""
    (reader, bad), shared = in_one_folder(tmp_path, 2)
    plain, _info = encode_segment(bad.device_id, bad.id, stranger_rows(bad.id, 300))
    put_segment(shared, dir_of(bad), 50, plain, Keyring(bad.replica).newest)
    assert folders(reader).sync()[0].refused == 300
    decoded = count_calls(monkeypatch, segments, "decode_changeset")
    for _pass in range(4):  # nothing in the folder or the roster changes
        folders(reader).sync()
    assert decoded[0] == 0


def test_a_segment_holding_more_changesets_than_a_writer_puts_in_one_is_refused_before_decoding(
        tmp_path, monkeypatch):
    """Writers put at most 5,000 changesets in a segment; readers decode whatever the header says
    (400,000 stranger changesets: a 1.2 MB file, 11 s of CPU and 2 GB of memory a pass)."""
    (reader, bad), shared = in_one_folder(tmp_path, 2)
    plain, _info = encode_segment(bad.device_id, bad.id, stranger_rows(bad.id, 12_000))
    put_segment(shared, dir_of(bad), 50, plain, Keyring(bad.replica).newest)
    decoded = count_calls(monkeypatch, segments, "decode_changeset")
    folders(reader).sync()
    assert decoded[0] <= 5000


def test_a_compressed_segment_is_refused_before_inflating_far_past_what_a_writer_makes(tmp_path, monkeypatch):
    """Writers stop a segment at 8 MiB; readers inflate up to 256 MiB before refusing (a 254 KB
    file: 1.2 s of CPU and 256 MiB of memory; twenty of them, 23 s)."""
    (reader, bad), shared = in_one_folder(tmp_path, 2)
    header = orjson.dumps({"w": bad.device_id, "g": bad.id, "c": {}, "n": 0}) + b"\n"
    z = zlib.compressobj(9)
    bomb = z.compress(header) + z.compress(bytes(64 * 1024 * 1024)) + z.flush()
    put_segment(shared, dir_of(bad), 50, bomb, Keyring(bad.replica).newest)
    inflated: list[int] = []

    real_decompressobj = zlib.decompressobj

    class Counting:
        def __init__(self) -> None:
            self.real = real_decompressobj()

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            out = self.real.decompress(data, max_length)
            inflated.append(len(out))
            return out

        @property
        def unconsumed_tail(self) -> bytes:
            return self.real.unconsumed_tail

        @property
        def eof(self) -> bool:
            return self.real.eof

    monkeypatch.setattr(segments, "zlib", SimpleNamespace(decompressobj=Counting, compress=zlib.compress,
                                                          error=zlib.error))
    assert folders(reader).sync()[0].refused == 1
    assert sum(inflated) <= 32 * 1024 * 1024, f"{sum(inflated) >> 20} MiB inflated"


# ---- keys and cards ------------------------------------------------------------------------

def _key_file(shared: Path, bad: Group, blobs: list[str]) -> None:
    rel = f"{dir_of(bad)}/keys"
    layout.write_whole(shared / rel, crypto.seal(Keyring(bad.replica).first, encode_json({"k": blobs}), rel))


def test_a_key_file_of_one_sealed_key_repeated_costs_a_bounded_number_of_unsealings(tmp_path, monkeypatch):
    """A 65 KB key file repeating one blob 90,000 times (inside the 16 MiB inflate bound) costs
    90,000 X25519 exchanges, 14 s of CPU, each time its writer touches it."""
    (victim, bad), shared = in_one_folder(tmp_path, 2)
    blob = crypto.seal_to(crypto.public_bytes(crypto.exchange_key(victim.replica.key())), os.urandom(32)).hex()
    _key_file(shared, bad, [blob] * 5000)
    tried = count_calls(monkeypatch, crypto, "open_sealed_to")
    folders(victim).sync()
    assert tried[0] <= 100  # a key file holds each newer key once per member


def test_bogus_keys_sealed_to_a_device_do_not_pile_up_in_its_database(tmp_path):
    """Every key sealed to this device is kept for good, and each Keyring (three a pass) computes
    an id for each: 2,000 fresh keys per rewrite of a 213 KB file, 15 ms more per Keyring each time."""
    (victim, bad), shared = in_one_folder(tmp_path, 2)
    public = crypto.public_bytes(crypto.exchange_key(victim.replica.key()))
    for _round in range(3):
        _key_file(shared, bad, [crypto.seal_to(public, os.urandom(32)).hex() for _ in range(200)])
        folders(victim).sync()
    kept = len(store.received_keys(victim.db))
    assert kept <= 64, f"{kept} keys kept from 600 bogus ones"  # grows by each rewrite, for good


def _card(shared: Path, bad: Group, exchange: str, vector: dict[str, int]) -> None:
    rel = f"{dir_of(bad)}/card"
    signature = bad.replica.key().sign(card_body(bad.id, bad.device_id, exchange)).hex()
    doc = {"d": bad.device_id, "x": exchange, "v": vector, "t": 0, "s": signature}
    layout.write_whole(shared / rel, crypto.seal(Keyring(bad.replica).newest, encode_json(doc), rel))


def test_a_members_card_with_a_bogus_exchange_key_does_not_break_the_pass(tmp_path):
    """The card's signature covers the exchange key its writer chose; once any removal happened,
    every honest pass raises ValueError in _share_keys (after writing its segments, before its
    key file), and FolderWatcher skips the folders after it."""
    (admin, member, bad, leaver), shared = in_one_folder(tmp_path, 4)
    admin.membership.remove("laptop 3")
    _card(shared, bad, "zz", {})
    folders(admin).sync()  # raises ValueError: non-hexadecimal number found in fromhex()
    folders(member).sync()
    made = admin.members.add("After the removal")
    folders(admin).sync()
    folders(member).sync()
    assert made.id in {m.id for m in member.members.list()}


def test_a_members_card_names_only_authors_of_the_group(tmp_path):
    """The vector is not signed and not bounded by the roster: a 0.7 MB card naming 270,000
    authors becomes a 16.7 MB row parsed four times a pass, 2 s of CPU a pass from 3 ms."""
    (victim, bad), shared = in_one_folder(tmp_path, 2)
    exchange = crypto.public_bytes(crypto.exchange_key(bad.replica.key())).hex()
    _card(shared, bad, exchange, {f"{i:032x}": 2**62 for i in range(5000)})
    folders(victim).sync()
    row = store.files(victim.db, str(shared))[f"{dir_of(bad)}/card"]
    unknown = set(row.covers) - {victim.device_id, bad.device_id}
    assert not unknown, f"the card's row names {len(unknown)} authors no roster knows"


def test_a_key_file_a_removed_device_emptied_is_written_again_by_its_device(tmp_path):
    """Key files are sealed under the epoch-0 key the removed device keeps, and unsigned; their
    writer rewrites one only when its keys or recipients change, never when the file changed.
    Emptied, the members who meet the group only through the folder never read on."""
    (admin, member, leaver), shared = in_one_folder(tmp_path, 3)
    epoch0 = Keyring(leaver.replica).first
    admin.membership.remove("laptop 2")
    after = admin.members.add("Said after the removal")
    folders(admin).sync()
    rel = f"{dir_of(leaver, admin)}/keys"
    layout.write_whole(shared / rel, crypto.seal(epoch0, encode_json({"k": []}), rel))
    for _round in range(2):
        folders(admin).sync()
        folders(member).sync()
    assert after.id in {m.id for m in member.members.list()}



# ---- who wrote a segment ---------------------------------------------------------------------

def _forged_by(reader: Group) -> list[tuple[str, int, bytes, bytes]]:
    """A changeset claiming `reader` as its author, with a signature nobody made."""
    body = encode_body(reader.id, reader.device_id, 999, "0" * 64, 1 << 40, [Op("member", "m1", "name", "x")])
    return [(reader.device_id, 999, body, bytes(64))]


def test_a_segment_left_in_an_honest_devices_folder_is_not_blamed_on_that_device(tmp_path):
    """Segments are sealed with the shared folder key: a member names another as the writer, and
    what no signature vouches for was counted against it. Unsigned, it is counted against nobody."""
    (reader, honest, bad), shared = in_one_folder(tmp_path, 3)
    plain, _info = encode_segment(honest.device_id, reader.id, _forged_by(reader))
    put_segment(shared, dir_of(bad, honest), 77, plain, Keyring(bad.replica).newest)
    assert folders(reader).sync()[0].refused == 1
    assert incidents.listed(reader.db) == []


def test_a_segment_whose_writers_signature_does_not_match_is_refused_whole(tmp_path):
    (reader, honest, bad), shared = in_one_folder(tmp_path, 3)
    plain, _info = encode_segment(honest.device_id, reader.id, _forged_by(reader), bad.replica.key().sign)
    rel = put_segment(shared, dir_of(bad, honest), 77, plain, Keyring(bad.replica).newest)
    report = folders(reader).sync()[0]
    assert {"path": rel, "why": "refused: its writer's signature does not match it"} in report.problems
    assert incidents.listed(reader.db) == []


def test_what_a_members_own_signed_segment_holds_unvouched_is_counted_against_that_member(tmp_path):
    (reader, _honest, bad), shared = in_one_folder(tmp_path, 3)
    plain, _info = encode_segment(bad.device_id, reader.id, _forged_by(reader), bad.replica.key().sign)
    put_segment(shared, dir_of(bad), 77, plain, Keyring(bad.replica).newest)
    folders(reader).sync()
    assert {(i["device"], i["reason"]) for i in incidents.listed(reader.db)} == {(bad.device_id, "signature")}

# ---- files a stranger leaves -------------------------------------------------------------------

JUNK_DIR = "0123456789abcdef01234567"  # a device folder of nobody's: its name only looks like one


def reads(monkeypatch) -> list[tuple[str, int]]:
    """(path, bytes) of every whole-file read a pass makes."""
    seen: list[tuple[str, int]] = []
    real = layout.read_file

    def read_file(root: Path, rel: str, *args: Any, **kwargs: Any) -> bytes | None:
        data = real(root, rel, *args, **kwargs)
        seen.append((rel, len(data or b"")))
        return data

    monkeypatch.setattr(layout, "read_file", read_file)
    return seen


def test_a_strangers_card_and_key_file_are_not_read_again_at_every_pass(tmp_path, monkeypatch):
    """Cards that do not open (and key files) are read again, whole, at every pass: a stranger's
    300 MB card costs 300 MB of reading, 0.7 s of CPU and ~1 GB of memory every second."""
    (a, _b), shared = in_one_folder(tmp_path, 2)
    (shared / JUNK_DIR).mkdir()
    for name in ("card", "keys"):
        (shared / JUNK_DIR / name).write_bytes(crypto.MAGIC + os.urandom(1 << 20))
    folders(a).sync()
    seen = reads(monkeypatch)
    for _pass in range(3):  # nothing in the folder changes
        folders(a).sync()
    assert [rel for rel, _size in seen if rel.startswith(JUNK_DIR)] == []


def test_segments_under_a_key_this_device_lacks_are_not_opened_again_at_every_pass(tmp_path, monkeypatch):
    """Each segment noted 'under a key this device does not hold' is opened again at every pass to
    see whether its key arrived: 20,000 stranger files of 44 bytes, 3 s of CPU a pass (29 s the
    first, one commit each)."""
    (a, _b), shared = in_one_folder(tmp_path, 2)
    (shared / JUNK_DIR).mkdir()
    for number in range(1, 201):
        (shared / JUNK_DIR / layout.segment_name(number)).write_bytes(crypto.MAGIC + os.urandom(40))
    folders(a).sync()
    opened = [0]
    real_open = open

    def counting_open(*args, **kwargs):
        opened[0] += 1
        return real_open(*args, **kwargs)

    monkeypatch.setattr(folder_pass, "open", counting_open, raising=False)
    for _pass in range(3):  # no file and no key changes
        folders(a).sync()
    assert opened[0] == 0


def test_a_member_copying_an_authors_first_and_last_changesets_does_not_hide_those_between(tmp_path):
    """A file was noted as holding, per author, everything from its lowest number to its highest:
    a member copying the author's genuine first and latest changesets into one segment made every
    device believe the folder held all those between, so the author never wrote them there and a
    device reading only the folder never got them."""
    (author, bad, reader), shared = in_one_folder(tmp_path, 3)
    for n in range(5):
        author.members.add(f"Neighbour {n}")
    sync_pair(author, bad)  # the member in bad faith holds the author's changesets, as signed
    _after, rows = missing(bad.db, {}, 0, limit=10_000)
    authored = sorted((r for r in rows if r.author == author.device_id), key=lambda r: r.seq)
    copied = [(r.author, r.seq, r.body, r.signature) for r in (authored[0], authored[-1])]
    plain, _info = encode_segment(bad.device_id, bad.id, copied, bad.replica.key().sign)
    put_segment(shared, dir_of(bad), 60, plain, Keyring(bad.replica).newest)
    folders(author).sync()
    folders(reader).sync()
    assert reader.replica.state_hash() == author.replica.state_hash()


def test_a_file_is_noted_as_holding_the_runs_of_numbers_it_holds():
    held = store.runs([("a", 5), ("a", 1), ("a", 2), ("b", 3), ("a", 2)])
    assert held == {"a": [1, 2, 5, 5], "b": [3, 3]}
    row = store.FileRow("x/00000001.seg", 1, 1, store.APPLIED, "w", held, "")
    assert store.coverage([row]) == {"a": 2}  # b's 1 and 2 are in no file
