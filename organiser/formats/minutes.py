"""A meeting's record for after the meeting: Markdown, HTML and PDF.

The services gather what happened into a `MinutesReport` (agenda, who attended, the minutes,
decisions with tallies and outcomes, action items with assignees); this module only writes it.
The PDF embeds DejaVu Sans (fonts-dejavu-core), so accents and most symbols print as typed.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from organiser.formats.common import FormatError

EXPORT_FORMATS = ("md", "html", "pdf")
HOW_DECIDED = {"consent": "by consent", "consensus": "by consensus", "vote": "by vote", "hands": "by a show of hands"}
TALLY_LABELS = {"consent": "Answers", "consensus": "Answers", "vote": "Votes", "hands": "Hands"}
ANSWERED = {"consent": "consented", "objection": "objected", "agree": "agreed", "abstain": "abstained",
            "disagree": "disagreed", "block": "blocked"}
STOPPING = ("objection", "block")  # the answers that stop a proposal (core/meeting_rules.py BLOCKING)
TASK_STATUS = {"todo": "to do", "doing": "under way", "done": "done"}
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")


@dataclass(frozen=True)
class ReportItem:
    title: str
    presenter: str = ""
    time_box: int | None = None  # minutes planned
    used_minutes: int = 0
    notes: str = ""


@dataclass(frozen=True)
class ReportDecision:
    title: str
    kind: str
    status: str
    outcome: str
    tally: dict[str, int]
    eligible: int
    present: int
    quorum_needed: int
    quorum_met: bool
    blocks: list[str] = field(default_factory=list)
    stand_asides: list[str] = field(default_factory=list)

    @property
    def how_text(self) -> str:
        """'Decided by consent.' or 'By vote; not decided yet.'"""
        how = HOW_DECIDED.get(self.kind, f"by {self.kind}")
        return f"Decided {how}." if self.status == "closed" else f"{how[0].upper()}{how[1:]}; not decided yet."

    @property
    def tally_text(self) -> str:
        """'Answers: 2 consented, 1 objected (Quentin Haddad)' or 'Votes: Rosa 2, Quentin 1', as counted."""
        label = TALLY_LABELS.get(self.kind, "Votes")
        if not any(self.tally.values()):
            return f"{label}: none recorded"
        if self.kind not in ("consent", "consensus"):
            return f"{label}: " + ", ".join(f"{option} {count}" for option, count in self.tally.items())
        said = []
        for option, count in self.tally.items():
            if count:
                named = f" ({', '.join(self.blocks)})" if option in STOPPING and self._named_in_tally else ""
                said.append(f"{count} {ANSWERED.get(option, option)}{named}")
        return f"{label}: " + ", ".join(said)

    @property
    def _named_in_tally(self) -> bool:
        """Consent's objections and consensus's blocks are answers counted: who gave them is said there."""
        return bool(self.blocks) and self.kind in ("consent", "consensus") and any(
            self.tally.get(option) for option in STOPPING)

    @property
    def blocks_text(self) -> str:
        """Who blocked, where the tally line does not name them (a vote or a show of hands)."""
        return f"Blocked: {', '.join(self.blocks)}" if self.blocks and not self._named_in_tally else ""

    @property
    def quorum_text(self) -> str:
        pool = f"of {self.eligible} who could vote"
        if not self.quorum_needed:
            return f"No quorum was set; {self.present} {pool} were present."
        met = "met" if self.quorum_met else "NOT met"
        return f"Quorum {met}: {self.present} present, {self.quorum_needed} needed, {pool}."


@dataclass(frozen=True)
class ReportAction:
    title: str
    assignee: str = ""
    due: str = ""
    status: str = "todo"


@dataclass(frozen=True)
class MinutesReport:
    group: str
    title: str
    when: str
    location: str = ""
    attendees: list[str] = field(default_factory=list)
    agenda: list[ReportItem] = field(default_factory=list)
    minutes: str = ""
    decisions: list[ReportDecision] = field(default_factory=list)
    actions: list[ReportAction] = field(default_factory=list)


# ---- Markdown -----------------------------------------------------------------------------

def _time_text(item: ReportItem) -> str:
    """"20 min planned" while the item never ran; "12 min of 20 planned" once it did."""
    if not item.time_box:
        return f"{item.used_minutes} min" if item.used_minutes else ""
    if not item.used_minutes:
        return f"{item.time_box} min planned"
    return f"{item.used_minutes} min of {item.time_box} planned"


def _item_line(n: int, item: ReportItem) -> str:
    parts = [f"{n}. **{item.title}**"]
    if item.presenter:
        parts.append(f"({item.presenter})")
    if _time_text(item):
        parts.append(f"— {_time_text(item)}")
    return " ".join(parts)


def _decision_lines(d: ReportDecision) -> list[str]:
    lines = [f"- {d.how_text}", f"- {d.tally_text}"]
    if d.blocks_text:
        lines.append(f"- {d.blocks_text}")
    if d.stand_asides:
        lines.append(f"- Stood aside: {', '.join(d.stand_asides)}")
    lines.append(f"- {d.quorum_text}")
    lines.append(f"- Outcome: {d.outcome or 'not decided yet'}")
    return lines


def _action_text(a: ReportAction) -> str:
    """'Write to the council — Rosa Murphy, due 10 December 2026 (to do)'."""
    who = a.assignee or "nobody yet"
    due = f", due {a.due}" if a.due else ""
    return f"{a.title} — {who}{due} ({TASK_STATUS.get(a.status, a.status)})"


def _action_line(a: ReportAction) -> str:
    return f"- {_action_text(a)}"


def to_markdown(report: MinutesReport) -> str:
    out = [f"# {report.title}", "", f"{report.group} · {report.when}" + (f" · {report.location}" if report.location
                                                                       else ""), ""]
    out += ["## Attended", "", ", ".join(report.attendees) or "(nobody checked in)", ""]
    out += ["## Agenda", ""] + [_item_line(n, i) for n, i in enumerate(report.agenda, 1)] + [""]
    out += ["## Minutes", "", report.minutes.rstrip() or "(no minutes)", ""]
    out += ["## Decisions", ""]
    for d in report.decisions:
        out += [f"### {d.title}", "", *_decision_lines(d), ""]
    if not report.decisions:
        out += ["(none)", ""]
    out += ["## Action items", ""] + ([_action_line(a) for a in report.actions] or ["(none)"]) + [""]
    return "\n".join(out)


# ---- HTML ---------------------------------------------------------------------------------

def to_html(report: MinutesReport) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(report.title)}</title>",
             "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.4}"
             ".minutes{white-space:pre-wrap}.unmet{color:#b00}</style></head><body>",
             f"<h1>{e(report.title)}</h1>",
             f"<p>{e(report.group)} · {e(report.when)}{' · ' + e(report.location) if report.location else ''}</p>",
             "<h2>Attended</h2>", f"<p>{e(', '.join(report.attendees)) or '(nobody checked in)'}</p>",
             "<h2>Agenda</h2>", "<ol>"]
    parts += [_html_item(item) for item in report.agenda]
    parts += ["</ol>", "<h2>Minutes</h2>", f'<div class="minutes">{e(report.minutes) or "(no minutes)"}</div>',
              "<h2>Decisions</h2>"]
    for d in report.decisions:
        parts += _html_decision(d)
    if not report.decisions:
        parts.append("<p>(none)</p>")
    parts += ["<h2>Action items</h2>", "<ul>", *([_html_action(a) for a in report.actions] or ["<li>(none)</li>"])]
    parts += ["</ul>", "</body></html>", ""]
    return "\n".join(parts)


def _html_item(item: ReportItem) -> str:
    e = html.escape
    extra = f" ({e(item.presenter)})" if item.presenter else ""
    box = f" — {e(_time_text(item))}" if _time_text(item) else ""
    return f"<li><strong>{e(item.title)}</strong>{extra}{box}</li>"


def _html_decision(d: ReportDecision) -> list[str]:
    e = html.escape
    quorum_class = "" if d.quorum_met or not d.quorum_needed else ' class="unmet"'
    parts = [f"<h3>{e(d.title)}</h3>", "<ul>", f"<li>{e(d.how_text)}</li>", f"<li>{e(d.tally_text)}</li>"]
    if d.blocks_text:
        parts.append(f"<li>{e(d.blocks_text)}</li>")
    if d.stand_asides:
        parts.append(f"<li>Stood aside: {e(', '.join(d.stand_asides))}</li>")
    parts.append(f"<li{quorum_class}>{e(d.quorum_text)}</li>")
    return [*parts, f"<li>Outcome: {e(d.outcome or 'not decided yet')}</li>", "</ul>"]


def _html_action(a: ReportAction) -> str:
    return f"<li>{html.escape(_action_text(a))}</li>"


# ---- PDF ----------------------------------------------------------------------------------

def _font(name: str) -> str:
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.exists():
            return str(path)
    raise FormatError(f"PDF export: the font {name} is not installed (Debian package fonts-dejavu-core).")


class _Pdf:
    """An A4 document of headings and paragraphs in DejaVu Sans (a Unicode font: names keep their accents)."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF  # imported here: only the PDF export needs it

        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(True, margin=15)
        self.pdf.add_font("DejaVu", "", _font("DejaVuSans.ttf"))
        self.pdf.add_font("DejaVu", "B", _font("DejaVuSans-Bold.ttf"))
        self.pdf.set_title(title)
        self.pdf.add_page()

    def heading(self, text: str, size: int = 14) -> None:
        self.pdf.set_font("DejaVu", "B", size)
        self.pdf.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def para(self, text: str) -> None:
        self.pdf.set_font("DejaVu", "", 11)
        # left-aligned: justified, a short line of minutes spread its words across the page
        self.pdf.multi_cell(0, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def to_pdf(report: MinutesReport) -> bytes:
    doc = _Pdf(report.title)
    doc.heading(report.title, 20)
    doc.para(f"{report.group} · {report.when}" + (f" · {report.location}" if report.location else ""))
    doc.heading("Attended")
    doc.para(", ".join(report.attendees) or "(nobody checked in)")
    doc.heading("Agenda")
    doc.para("\n".join(_item_line(n, i).replace("**", "") for n, i in enumerate(report.agenda, 1)) or "(no agenda)")
    doc.heading("Minutes")
    doc.para(report.minutes.rstrip() or "(no minutes)")
    _pdf_outcomes(doc, report)
    return doc.output()


def _pdf_outcomes(doc: _Pdf, report: MinutesReport) -> None:
    """The decisions and the action items."""
    doc.heading("Decisions")
    for d in report.decisions:
        doc.heading(d.title, 12)
        doc.para("\n".join(line[2:] for line in _decision_lines(d)))
    if not report.decisions:
        doc.para("(none)")
    doc.heading("Action items")
    doc.para("\n".join(_action_text(a) for a in report.actions) or "(none)")


def render(report: MinutesReport, fmt: str) -> bytes:
    if fmt == "md":
        return to_markdown(report).encode("utf-8")
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report)
    raise FormatError(f"format: '{fmt}' is not one of {', '.join(EXPORT_FORMATS)}.")
