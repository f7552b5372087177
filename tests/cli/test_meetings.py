"""The meeting commands, run as a person runs them: agenda, minutes, proposals, votes. Most run
through the program's entry point in the test process (`organiser_in_process`: the parser, the
command, its exit code and output are the program's own); each test also runs some of its
commands as real processes, and the ones reading standard input run only as real processes."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def _id(run) -> str:
    assert run.code == 0, run.err
    return run.out.split()[-1]


@pytest.fixture
def hall(organiser_in_process):
    """A group with a meeting and two members, and the commands run in the test process."""
    organiser = organiser_in_process
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    event = _id(organiser("event", "add", "--title", "General meeting", "--start", "2026-12-03T19:00"))
    ana = _id(organiser("member", "add", "--name", "Ana López"))
    bo = _id(organiser("member", "add", "--name", "Bo"))
    return organiser, event, ana, bo


def test_agenda_add_and_list(hall, organiser):
    in_process, event, ana, _bo = hall
    as_a_process = organiser
    welcome = _id(as_a_process("agenda", "add", event, "--title", "Welcome", "--minutes", "5", "--presenter", ana[:8]))
    _id(in_process("agenda", "add", event[:8], "--title", "Rent strike"))
    for organiser in (in_process, as_a_process):
        listed = organiser("agenda", "list", event, "--json").json()
        assert [(i["title"], i["minutes"], i["presenter_name"]) for i in listed] == [
            ("Welcome", 5, "Ana López"), ("Rent strike", None, "")]
        assert listed[0]["id"] == welcome
    assert "Welcome" in in_process("agenda", "list", event).out


def test_minutes_append_show_and_export_in_three_formats(hall, organiser, tmp_path):
    as_a_process = organiser
    organiser, event, ana, _bo = hall
    assert organiser("minutes", "append", event, "Ana opened. Café ☕ 😀").code == 0
    assert organiser("minutes", "append", event, "Second paragraph.").code == 0
    assert organiser("minutes", "show", event).out == "Ana opened. Café ☕ 😀\nSecond paragraph.\n"
    assert organiser("event", "checkin", event, ana).code == 0
    proposal = _id(organiser("proposal", "add", event, "--title", "Strike", "--kind", "consent"))
    assert organiser("vote", proposal, ana, "objection").code == 0
    assert organiser("proposal", "close", proposal, "--outcome", "Not agreed").code == 0
    markdown = as_a_process("minutes", "export", event, "--format", "md")
    assert markdown.code == 0, markdown.err
    for expected in ("# General meeting", "## Attended", "Ana López", "Café ☕ 😀", "### Strike",
                     "Answers: 1 objected (Ana López)", "Outcome: Not agreed"):
        assert expected in markdown.out
    out = tmp_path / "minutes.html"
    assert organiser("minutes", "export", event, "--format", "html", "--out", str(out)).code == 0
    from html.parser import HTMLParser

    texts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = texts.append  # type: ignore[method-assign]
    parser.feed(out.read_text(encoding="utf-8"))
    assert "Ana opened. Café ☕ 😀\nSecond paragraph.\n" in texts and "Outcome: Not agreed" in texts


def test_a_proposal_closed_too_early_is_reopened_and_takes_votes(hall, organiser):
    organiser, event, ana, _bo = hall
    assert organiser("event", "checkin", event, ana).code == 0
    proposal = _id(organiser("proposal", "add", event, "--title", "Strike", "--kind", "consent"))
    assert organiser("proposal", "close", proposal, "--outcome", "Agreed too soon").code == 0
    reopened = organiser("proposal", "reopen", proposal[:8])
    assert reopened.code == 0 and reopened.out.startswith("Strike  (consent, open)")
    assert organiser("vote", proposal, ana, "consent").code == 0
    shown = organiser("proposal", "show", proposal, "--json").json()
    assert (shown["status"], shown["outcome"], shown["tally"]["consent"]) == ("open", "", 1)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_export_reads_back_with_pdftotext(hall, organiser, tmp_path):
    as_a_process = organiser
    organiser, event, ana, _bo = hall
    organiser("agenda", "add", event, "--title", "Welcome", "--presenter", ana)
    organiser("minutes", "append", event, "Señora Núñez asked about the boiler.")
    pdf = tmp_path / "minutes.pdf"
    assert as_a_process("minutes", "export", event, "--format", "pdf", "--out", str(pdf)).code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "General meeting" in text and "Welcome (Ana López)" in text
    assert "Señora Núñez asked about the boiler." in text


def test_proposal_show_json_has_tally_eligible_quorum_and_outcome(hall, organiser):
    as_a_process = organiser
    organiser, event, ana, bo = hall
    organiser("event", "checkin", event, ana)
    proposal = _id(organiser("proposal", "add", event, "--title", "Projector", "--kind", "vote",
                             "--option", "buy", "--option", "borrow", "--quorum", "2"))
    assert as_a_process("vote", proposal, ana, "borrow").code == 0
    shown = as_a_process("proposal", "show", proposal, "--json").json()
    assert shown["tally"] == {"buy": 0, "borrow": 1}
    assert (shown["eligible"], shown["quorum_met"], shown["outcome"]) == (1, False, "")
    organiser("event", "checkin", event, bo)
    assert organiser("proposal", "show", proposal, "--json").json()["quorum_met"] is True
    hands = _id(organiser("proposal", "add", event, "--title", "Hands", "--kind", "hands", "--option", "yes"))
    assert organiser("proposal", "count", hands, "--option", "yes", "--count", "17").code == 0
    assert organiser("proposal", "show", hands, "--json").json()["tally"]["yes"] == 17


def test_agenda_edit_renames_an_item_and_delete_removes_it(hall, organiser):
    as_a_process = organiser
    organiser, event, ana, _bo = hall
    typo = _id(organiser("agenda", "add", event, "--title", "Rent stirke", "--minutes", "30"))
    extra = _id(organiser("agenda", "add", event, "--title", "Rent strike (again)"))
    edited = as_a_process("agenda", "edit", typo[:8], "--title", "Rent strike", "--minutes", "20")
    assert edited.code == 0, edited.err
    assert edited.out == f"Updated Rent strike ({typo}).\n"
    shown = organiser("agenda", "edit", typo, "--presenter", ana[:8], "--json").json()
    assert (shown["title"], shown["minutes"], shown["presenter"]) == ("Rent strike", 20, ana)
    deleted = as_a_process("agenda", "delete", extra[:8])
    assert deleted.code == 0, deleted.err
    assert deleted.out == f"Deleted Rent strike (again) ({extra}).\n"
    listed = organiser("agenda", "list", event, "--json").json()
    assert [(i["title"], i["minutes"], i["presenter_name"]) for i in listed] == [("Rent strike", 20, "Ana López")]
    assert "Rent strike (again)" not in organiser("agenda", "list", event).out


def test_deleting_the_item_being_discussed_moves_the_meeting_on(hall, organiser):
    as_a_process = organiser
    organiser, event, _ana, _bo = hall
    first = _id(organiser("agenda", "add", event, "--title", "Welcome"))
    _id(organiser("agenda", "add", event, "--title", "Budget"))
    assert organiser("agenda", "next", event).out == "Welcome\n"
    assert as_a_process("agenda", "delete", first).out == f"Deleted Welcome ({first}).\nNow: Budget\n"
    listed = organiser("agenda", "list", event, "--json").json()
    assert [(i["title"], i["current"]) for i in listed] == [("Budget", True)]


def test_bad_input_exits_2_with_one_sentence_and_writes_nothing(hall, organiser):
    """The refusals run in-process (as processes, each would start Python again); one also runs as a
    real process, below."""
    as_a_process = organiser
    organiser, event, ana, bo = hall
    proposal = _id(organiser("proposal", "add", event, "--title", "P", "--kind", "vote",
                             "--option", "a", "--option", "b"))
    item = _id(organiser("agenda", "add", event, "--title", "Welcome", "--minutes", "5"))
    removed = _id(organiser("agenda", "add", event, "--title", "Typo"))
    assert organiser("agenda", "delete", removed).code == 0
    garden = _id(organiser("event", "add", "--title", "Garden day", "--start", "2026-12-05T10:00"))
    elsewhere = _id(organiser("agenda", "add", garden, "--title", "Seeds"))
    before = organiser("status", "--json").json()["state_hash"]
    refused_agenda = {
        ("agenda", "edit", "ffffffff", "--title", "X"): "there is no agenda item with id 'ffffffff'",
        ("agenda", "edit", item, "--title", "  "): "title",
        ("agenda", "edit", item, "--minutes", "0"): "between 1 and 1440",
        ("agenda", "edit", item, "--minutes", "soon"): "'soon' is not a whole number",
        ("agenda", "edit", item, "--presenter", "ffffffff"): "no member is called or has the id 'ffffffff'",
        ("agenda", "edit", item): "nothing to change",
        ("agenda", "edit", removed, "--title", "X"): f"there is no agenda item with id '{removed}'",
        ("agenda", "edit", event, "--title", "X"): f"there is no agenda item with id '{event}'",
        ("agenda", "delete", "ffffffff"): "there is no agenda item with id 'ffffffff'",
        ("agenda", "delete", removed[:8]): f"there is no agenda item with id '{removed[:8]}'",
        ("agenda", "delete", ana): f"there is no agenda item with id '{ana}'",
        ("agenda", "next", event, "--item", elsewhere): "is not on this event's agenda",
        ("proposal", "add", event, "--title", "X", "--kind", "consent", "--item", elsewhere):
            "is on another meeting's agenda",
    }
    for args, says in refused_agenda.items():
        run = organiser(*args)
        assert run.code == 2, (args, run.err)
        assert run.err.startswith("organiser: ") and says in run.err, (args, run.err)
        assert len(run.err.strip().splitlines()) == 1, (args, run.err)  # one sentence, no traceback
    bad = [
        ("agenda", "add", event, "--title", "X", "--minutes", "soon"),
        ("agenda", "add", "0000nosuchevent", "--title", "X"),
        ("agenda", "add", event, "--title", "X", "--presenter", "ffffffff"),
        ("minutes", "append", event, "   "),
        ("minutes", "export", event, "--format", "doc"),
        ("proposal", "add", event, "--title", "X", "--kind", "vote", "--option", "only"),
        ("proposal", "add", event, "--title", "X", "--kind", "consent", "--quorum", "lots"),
        ("proposal", "add", event, "--title", "X", "--kind", "consent", "--voters", "everyone"),
        ("vote", proposal, ana, "c"),
        ("vote", proposal, bo, "a"),  # not checked in
        ("vote", "ffffffff", ana, "a"),
        ("proposal", "count", proposal, "--option", "a", "--count", "3"),  # not a show of hands
        ("proposal", "close", proposal, "--outcome", ""),
        ("proposal", "reopen", proposal),  # open already
    ]
    for args in bad:
        run = organiser(*args)
        assert run.code == 2, (args, run.err)
        message = run.err.strip().splitlines()[-1]  # argparse prints the usage line first
        assert message.startswith("organiser: "), (args, message)
    refused = as_a_process("agenda", "edit", item, "--minutes", "0")
    assert (refused.code, refused.out) == (2, "")
    assert refused.err.startswith("organiser: ") and len(refused.err.strip().splitlines()) == 1, refused.err
    assert as_a_process("status", "--json").json()["state_hash"] == before


def test_minutes_append_takes_a_long_text_from_standard_input_whole(hall, organiser):
    """A single argument stops at the system's 128 KiB; `-` reads standard input. 300,000
    characters (emoji and accents: up to 4 bytes each) go in as pieces, all stored. Standard
    input is a real process's."""
    in_process, event, _ana, _bo = hall
    long_text = "".join(f"Point {n}: café, 😀, 中文.\n" for n in range(12_500))
    assert len(long_text) > 300_000 and len(long_text.encode()) > 400_000
    run = organiser("minutes", "append", event, "-", stdin=long_text)
    assert run.code == 0, run.err
    assert in_process("minutes", "show", event).out == long_text + "\n"


def test_minutes_append_says_the_limit_of_one_append_and_writes_nothing(hall, organiser):
    """What is read from standard input goes to real processes; the rest runs in the test process."""
    as_a_process = organiser
    organiser, event, _ana, _bo = hall
    assert organiser("minutes", "append", event, "Kept.").code == 0
    before = organiser("status", "--json").json()["state_hash"]
    too_long = as_a_process("minutes", "append", event, "-", stdin="a" * 1_000_001)
    assert too_long.code == 2
    assert too_long.err.strip() == ("organiser: text: 1,000,001 characters is more than the 1,000,000 one append "
                                    "takes; append it in parts.")
    assert as_a_process("minutes", "append", event, "-", stdin="").code == 2  # nothing to append
    assert organiser("status", "--json").json()["state_hash"] == before
    assert organiser("minutes", "show", event).out == "Kept.\n"


def test_the_minutes_of_every_meeting_of_the_year_export_in_one_command(organiser_in_process, tmp_path):
    """A year on, the secretary hands the minutes of every assembly to the new committee: one
    command writes one file per meeting, named by date and title; events that had no meeting
    (a film night) write none."""
    run = organiser_in_process
    assert run("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    march = _id(run("event", "add", "--title", "General assembly", "--start", "2026-03-04T19:00"))
    april = _id(run("event", "add", "--title", "General assembly", "--start", "2026-04-01T19:00"))
    run("event", "add", "--title", "Film night", "--start", "2026-04-03T20:00")
    assert run("minutes", "append", march, "Decided: start a hardship fund.").code == 0
    assert run("agenda", "add", april, "--title", "Hardship fund: first payments").code == 0
    out = tmp_path / "minutes"
    out.mkdir()
    done = run("minutes", "export", "--all", "--format", "md", "--out", str(out))
    assert done.code == 0, done.err
    written = sorted(p.name for p in out.iterdir())
    assert written == [f"2026-03-04 General assembly {march[:8]}.md", f"2026-04-01 General assembly {april[:8]}.md"]
    assert "hardship fund" in (out / written[0]).read_text()
    assert "2 meetings" in done.out
    refused = run("minutes", "export", "--all", "--format", "md")
    assert refused.code == 2 and "--out" in refused.err and "folder" in refused.err
    both = run("minutes", "export", march, "--all", "--format", "md", "--out", str(out))
    assert both.code == 2 and "EVENT" in both.err


def test_minutes_exported_onto_a_folder_exit_2_and_leave_no_copy_beside_it(hall, tmp_path):
    organiser, event, _ana, _bo = hall
    assert organiser("minutes", "append", event, "Rent strike agreed.").code == 0
    folder = tmp_path / "minutes"
    folder.mkdir()
    run = organiser("minutes", "export", event, "--format", "md", "--out", str(folder))
    assert not (tmp_path / "minutes.part").exists()  # no copy of the minutes beside the folder
    assert (run.code, run.err.strip()) == (2, f"organiser: {folder} is a folder: name a file in it, e.g. "
                                              f"{folder / 'export'}.")
