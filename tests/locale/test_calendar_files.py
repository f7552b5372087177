"""A French Nextcloud calendar (TZID=Europe/Paris, a fortnightly assembly across the change to
summer time on 28 March 2027), and the same file as Outlook names the zone; Android and
Thunderbird cards with Polish, Turkish and Arabic names."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from organiser.formats.recurrence import occurrences
from organiser.services import transfer

FIXTURES = Path(__file__).parent / "fixtures"


def imported(group, name: str, data: bytes | None = None):
    data = data if data is not None else (FIXTURES / name).read_bytes()
    plan = transfer.plan_import(group, data, name)
    transfer.apply_import(group, plan)
    return plan


@pytest.mark.parametrize("zone_as_written", ["Europe/Paris", "Romance Standard Time"])
def test_a_fortnightly_assembly_stays_at_seven_in_the_evening_across_the_change_to_summer_time(group,
                                                                                             zone_as_written):
    text = (FIXTURES / "nextcloud_paris.ics").read_text(encoding="utf-8").replace("Europe/Paris", zone_as_written)
    imported(group, "agenda.ics", text.encode())
    (event,) = group.events.list()
    assert event.tz == "Europe/Paris"
    assert event.title == "Assemblée générale — locataires « Croix-Rousse »"
    assert event.location == "Salle des fêtes, 5 place Colbert, Lyon"
    starts = [o.start for o in occurrences(event.to_json(), datetime(2027, 3, 1), datetime(2027, 6, 1))]
    assert starts == [datetime(2027, 3, 18, 19), datetime(2027, 4, 1, 19), datetime(2027, 4, 15, 19),
                      datetime(2027, 4, 29, 19)]
    exported = transfer.export_group(group, "ics").decode()
    assert "DTSTART;TZID=Europe/Paris:20270318T190000" in exported


def test_cards_from_android_and_thunderbird_keep_their_names_whole(group):
    imported(group, "android_thunderbird.vcf")
    members = {m.name: m for m in group.members.list()}
    assert set(members) == {"Łukasz Żółć", "İsmail Yılmaz", "محمد"}
    assert members["Łukasz Żółć"].family_name == "Żółć"  # quoted-printable UTF-8, vCard 2.1
    assert members["İsmail Yılmaz"].notes == 'Kat 3, daire 5; "zil bozuk"'
    assert [m.name for m in group.members.list("yilmaz")] == ["İsmail Yılmaz"]
