"""Members through khard 0.18 (vCard 3.0 and 4.0): structured and CJK names, phone and email
types, separators in every text, UIDs kept both ways, and no duplicates after any round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.formats.clients import need, new_group, organiser, organiser_here, organiser_json, run, split_cards

NOTE = 'Keys; to the "hall", back door\\side\nweekends'


def _khard(tmp_path: Path, version: str) -> tuple[Path, Path]:
    home, book = tmp_path / "khard-home", tmp_path / "book"
    (home / ".config/khard").mkdir(parents=True)
    book.mkdir()
    (home / ".config/khard/khard.conf").write_text(
        f"[addressbooks]\n[[group]]\npath = {book}\n\n[general]\ndebug = no\ndefault_action = list\n"
        "editor = /bin/false\nmerge_editor = /bin/false\n\n[contact table]\ndisplay = formatted_name\n"
        f"show_uids = yes\nsort = last_name\npreferred_version = {version}\n", encoding="utf-8")
    return home, book


def _add_members(data: Path) -> dict[str, str]:
    ids = {}
    ids["zoe"] = organiser_here(
        data, "member", "add", "--name", "Zoë Ñúñez García", "--family-name", "Ñúñez García", "--given-name", "Zoë",
        "--phone", "07700900123", "--phone", "+447700900456", "--phone-type", "07700900123=cell,pref",
        "--phone-type", "+447700900456=work", "--email", "zoe@example.org", "--email-type", "zoe@example.org=home",
        "--skill", "Welsh, basic", "--role", "Ops;Night", "--notes", NOTE).strip()
    ids["li"] = organiser_here(data, "member", "add", "--name", "李伟", "--family-name", "李", "--given-name", "伟",
                               "--phone", "+86 10 1234 5678").strip()
    ids["sean"] = organiser_here(data, "member", "add", "--name", "O'Brien, Seán", "--family-name", "O'Brien",
                                 "--given-name", "Seán", "--name-suffix", "Jr.").strip()
    return ids


def _book_as_file(book: Path, out: Path) -> Path:
    out.write_bytes(b"".join(p.read_bytes() for p in sorted(book.glob("*.vcf"))))
    return out


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_cards_keep_names_types_and_uids_through_khard_and_come_back_as_updates(tmp_path, version):
    need("khard")
    data = new_group(tmp_path)
    ids = _add_members(data)
    home, book = _khard(tmp_path, version)
    organiser(data, "export", "--format", "vcf", "--vcard-version", version, "--out", tmp_path / "out.vcf")
    split_cards((tmp_path / "out.vcf").read_bytes(), book)

    listed = run(["khard", "list", "--parsable", "-d", "last_name"], home).stdout.splitlines()
    assert sorted(listed) == sorted([f"{ids['zoe']}@organiser\tÑúñez García, Zoë\tgroup",
                                     f"{ids['li']}@organiser\t李, 伟\tgroup",
                                     f"{ids['sean']}@organiser\tO'Brien, Seán\tgroup"])
    shown = run(["khard", "list", "--parsable"], home).stdout.splitlines()
    assert {line.split("\t")[1] for line in shown} == {"Zoë Ñúñez García", "李伟", "O'Brien, Seán"}
    phones = run(["khard", "phone", "--parsable"], home).stdout.splitlines()
    # vCard 3.0 says TYPE=pref, 4.0 PREF=1; khard shows each as written
    assert f"07700900123\tZoë Ñúñez García\tcell, {'pref' if version == '3.0' else 'pref=1'}" in phones
    assert "+447700900456\tZoë Ñúñez García\twork" in phones
    assert any(line.startswith("+86 10 1234 5678\t李伟\t") for line in phones)  # khard calls it "voice"
    emails = run(["khard", "email", "--parsable"], home).stdout
    assert "zoe@example.org\tZoë Ñúñez García\t" in emails and "home" in emails

    # khard changes a number; the card comes back as an update of the same member
    template = run(["khard", "show", "--format", "yaml", f"uid:{ids['zoe']}@organiser"], home).stdout
    assert "'+447700900456'" in template
    (tmp_path / "edit.yaml").write_text(template.replace("'+447700900456'", "'+447700900999'"), encoding="utf-8")
    run(["khard", "edit", "-i", tmp_path / "edit.yaml", f"uid:{ids['zoe']}@organiser"], home, stdin="y\n")
    # and a contact made in khard comes in with its own UID
    (tmp_path / "new.yaml").write_text("First name: Ana\nLast name: López Díaz\nPhone:\n    cell: '0034600000000'\n",
                                       encoding="utf-8")
    run(["khard", "new", "-a", "group", "-i", tmp_path / "new.yaml"], home)
    ana_uid = next(line.split("\t")[0] for line in run(["khard", "list", "--parsable"], home).stdout.splitlines()
                   if "Ana" in line)

    back = _book_as_file(book, tmp_path / "back.vcf")
    plan = organiser_json(data, "import", back)
    assert plan["counts"] == {"add": 1, "update": 1, "skip": 2, "invalid": 0}
    members = {m["name"]: m for m in organiser_json(data, "member", "list")}
    assert len(members) == 4
    zoe = members["Zoë Ñúñez García"]
    assert zoe["id"] == ids["zoe"]
    assert zoe["phones"] == ["07700900123", "+447700900999"]  # replaced, not appended
    assert zoe["phone_types"] == {"07700900123": ["cell", "pref"], "+447700900999": ["work"]}
    assert zoe["email_types"] == {"zoe@example.org": ["home"]}
    assert (zoe["family_name"], zoe["given_name"]) == ("Ñúñez García", "Zoë")
    assert (zoe["skills"], zoe["roles"], zoe["notes"]) == (["Welsh, basic"], ["Ops;Night"], NOTE)
    assert (members["李伟"]["family_name"], members["李伟"]["given_name"]) == ("李", "伟")
    ana = members["Ana López Díaz"]
    assert (ana["family_name"], ana["given_name"], ana["phones"]) == ("López Díaz", "Ana", ["0034600000000"])
    assert ana["source_uid"] == ana_uid
    assert [m["name"] for m in organiser_json(data, "member", "list")] == [
        "Ana López Díaz", "Zoë Ñúñez García", "O'Brien, Seán", "李伟"]  # by surname, accents aside

    # Organiser's export of the khard contact keeps khard's UID; importing it again adds nobody
    organiser(data, "export", "--format", "vcf", "--vcard-version", version, "--out", tmp_path / "again.vcf")
    assert f"UID:{ana_uid}" in (tmp_path / "again.vcf").read_text(encoding="utf-8")
    assert organiser_json(data, "import", tmp_path / "again.vcf")["counts"]["add"] == 0
    assert organiser_json(data, "import", back)["counts"] == {"add": 0, "update": 0, "skip": 4, "invalid": 0}
    assert len(organiser_json(data, "member", "list")) == 4
