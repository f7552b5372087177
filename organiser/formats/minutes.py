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
    def tally_text(self) -> str:
        return ", ".join(f"{option}: {count}" for option, count in self.tally.items()) or "no votes"

    @property
    def quorum_text(self) -> str:
        met = "met" if self.quorum_met else "NOT met"
        return f"quorum {met} ({self.present} present, {self.quorum_needed} needed; {self.eligible} eligible)"


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

def _item_line(n: int, item: ReportItem) -> str:
    parts = [f"{n}. **{item.title}**"]
    if item.presenter:
        parts.append(f"({item.presenter})")
    if item.time_box:
        parts.append(f"— {item.used_minutes} of {item.time_box} min")
    return " ".join(parts)


def _decision_lines(d: ReportDecision) -> list[str]:
    lines = [f"- Kind: {d.kind}; {d.status}", f"- Tally: {d.tally_text}", f"- {d.quorum_text[0].upper()}"
             f"{d.quorum_text[1:]}"]
    if d.blocks:
        lines.append(f"- Blocks: {', '.join(d.blocks)}")
    if d.stand_asides:
        lines.append(f"- Stand-asides: {', '.join(d.stand_asides)}")
    lines.append(f"- Outcome: {d.outcome or '(still open)'}")
    return lines


def _action_line(a: ReportAction) -> str:
    who = a.assignee or "nobody yet"
    due = f", due {a.due}" if a.due else ""
    return f"- [{'x' if a.status == 'done' else ' '}] {a.title} — {who}{due}"


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
    parts += ["<h2>Action items</h2>", "<ul>", *(_html_action(a) for a in report.actions)]
    parts += ["</ul>", "</body></html>", ""]
    return "\n".join(parts)


def _html_item(item: ReportItem) -> str:
    e = html.escape
    extra = f" ({e(item.presenter)})" if item.presenter else ""
    box = f" — {item.used_minutes} of {item.time_box} min" if item.time_box else ""
    return f"<li><strong>{e(item.title)}</strong>{extra}{box}</li>"


def _html_decision(d: ReportDecision) -> list[str]:
    e = html.escape
    quorum_class = "" if d.quorum_met else ' class="unmet"'
    parts = [f"<h3>{e(d.title)}</h3>", "<ul>", f"<li>Kind: {e(d.kind)}; {e(d.status)}</li>",
             f"<li>Tally: {e(d.tally_text)}</li>", f"<li{quorum_class}>{e(d.quorum_text)}</li>"]
    if d.blocks:
        parts.append(f"<li>Blocks: {e(', '.join(d.blocks))}</li>")
    if d.stand_asides:
        parts.append(f"<li>Stand-asides: {e(', '.join(d.stand_asides))}</li>")
    return [*parts, f"<li>Outcome: {e(d.outcome or '(still open)')}</li>", "</ul>"]


def _html_action(a: ReportAction) -> str:
    e = html.escape
    due = f", due {e(a.due)}" if a.due else ""
    return f"<li>{e(a.title)} — {e(a.assignee or 'nobody yet')}{due} ({e(a.status)})</li>"


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
        self.pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
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
    doc.para("\n".join(_action_line(a)[2:] for a in report.actions) or "(none)")


def render(report: MinutesReport, fmt: str) -> bytes:
    if fmt == "md":
        return to_markdown(report).encode("utf-8")
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report)
    raise FormatError(f"format: '{fmt}' is not one of {', '.join(EXPORT_FORMATS)}.")
