"""Samira's laptop holds the tenant union and the food bank: the command line says which group a
command acts on, lists both with the id --group takes, and nothing of one shows in the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _two_groups(organiser: Callable[..., Any]) -> tuple[str, str]:
    tenants = organiser("init", "--group", "Riverside Tenants Union", "--device-name", "samira laptop", "--json")
    food = organiser("init", "--group", "Eastside Food Bank", "--device-name", "samira laptop")
    assert food.code == 0, food.err
    assert "This laptop holds 2 groups; commands without --group now act on 'Eastside Food Bank'" in food.out
    listed = organiser("group", "list", "--json").json()
    ids = {g["name"]: g["id"] for g in listed}
    assert ids["Riverside Tenants Union"] == tenants.json()["group"]["id"]
    return ids["Riverside Tenants Union"], ids["Eastside Food Bank"]


def test_group_list_gives_each_group_the_id_that_group_takes_and_marks_the_current_one(organiser: Any) -> None:
    tenants, food = _two_groups(organiser)
    listed = organiser("group", "list")
    assert listed.code == 0
    rows = {line.split()[-1]: line for line in listed.out.splitlines()[1:]}
    assert rows["Bank"].startswith("*") and food in rows["Bank"]
    assert not rows["Union"].startswith("*") and tenants in rows["Union"]


def test_the_same_person_added_to_both_groups_is_two_records_and_nothing_crosses(organiser: Any) -> None:
    tenants, food = _two_groups(organiser)
    in_tenants = organiser("--group", tenants, "member", "add", "--name", "Samira Haddad",
                           "--email", "samira@tenants.example", "--json").json()
    in_food = organiser("member", "add", "--name", "Samira Haddad", "--email", "samira@foodbank.example",
                        "--json").json()  # no --group: the current group, the food bank
    assert in_tenants["id"] != in_food["id"]
    assert organiser("--group", tenants, "member", "edit", in_tenants["id"][:8], "--phone", "07700 900123").code == 0
    assert organiser("--group", food, "member", "show", in_tenants["id"][:8]).code == 2  # not a food bank record

    found = organiser("--group", food, "member", "list", "--search", "samira", "--json").json()
    assert [(m["id"], m["emails"], m["phones"]) for m in found] == [(in_food["id"], ["samira@foodbank.example"], [])]
    backup = organiser("--group", food, "export", "--format", "json")
    assert backup.code == 0 and "tenants.example" not in backup.out and in_tenants["id"] not in backup.out


def test_a_laptop_told_it_was_removed_from_the_food_bank_says_so_there_and_nowhere_in_the_tenant_union(
        organiser: Any) -> None:
    from organiser.services.group import open_group

    tenants, food = _two_groups(organiser)
    kept = open_group(organiser.data_dir, food)
    try:  # what its node keeps when a member tells it (net/admission.py); 2026-12-02 20:30 UTC
        kept.replica.set_meta("removed_notice", f"1796243400 {'e' * 32}")
    finally:
        kept.close()
    told = organiser("--group", food, "device", "list", env={"TZ": "UTC"})
    assert told.code == 0
    assert "This laptop was told on 2026-12-02 20:30" in told.out and "that it was removed from the group" in told.out
    assert "removed from the group" in organiser("--group", food, "status").out
    elsewhere = organiser("--group", tenants, "device", "list")
    assert elsewhere.code == 0 and "removed" not in elsewhere.out.replace("removed  last seen", "")
    assert "this laptop is  an admin" in organiser("--group", tenants, "status").out
