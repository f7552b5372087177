"""Decisions in a meeting: proposals, one vote per member, shows of hands, quorum, closing.

    proposals.add(event, title, method, options=[...], quorum="50%", voters="checked-in")
    proposals.vote(proposal, member, choice)     one per member, changeable until closed
    proposals.count(proposal, option, n)         a show of hands, for people without laptops
    proposals.tally(proposal)                    counts, eligible, present, quorum, blocks
    proposals.close(proposal, outcome)           records the outcome and the tally as it stood

Who may vote (`voters`): everyone checked in right now, all members, or members with a role.
Quorum is a number of people, or a share of the voter pool (all members, or the role's
members), that must be checked in right now: it follows check-ins live.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from organiser.core.errors import ValidationError
from organiser.core.meeting_rules import BLOCKING, NAMED_AT_HANDS, VOTERS, choices_of
from organiser.core.records import HAND_COUNT, VOTE, identity_id, validate
from organiser.core.working_groups import is_working_group, working_group_name
from organiser.services import clock
from organiser.services.base import RecordService
from organiser.store import meetings as meeting_store
from organiser.store import queries
from organiser.store.replica import LocalOp


@dataclass(frozen=True)
class Proposal:
    id: str
    event: str
    title: str
    method: str  # consent | consensus | vote | hands
    options: list[str] = field(default_factory=list)
    details: str = ""
    agenda_item: str | None = None
    voters: str = "checked-in"  # checked-in | all | role
    voter_role: str = ""
    quorum_count: int | None = None
    quorum_percent: int | None = None
    status: str = "open"
    outcome: str = ""
    closed_at: str | None = None
    result: str = ""  # JSON of the tally at closing

    @property
    def choices(self) -> tuple[str, ...]:
        return choices_of(self.method, self.options)

    @property
    def quorum_text(self) -> str:
        if self.quorum_count is not None:
            return str(self.quorum_count)
        if self.quorum_percent is not None:
            return f"{self.quorum_percent}%"
        return ""

    @property
    def voters_text(self) -> str:
        return f"role:{self.voter_role}" if self.voters == "role" else self.voters

    @classmethod
    def from_values(cls, pid: str, v: Mapping[str, Any]) -> Proposal:
        """What there is of a proposal: a peer's change may arrive before the one creating the
        record, so any field may be missing (or odd) and reads as its default."""
        def text(name: str, default: str = "") -> str:
            value = v.get(name)
            return value if isinstance(value, str) and value else default

        def number(name: str) -> int | None:
            value = v.get(name)
            return value if type(value) is int else None

        options = v.get("options")
        return cls(pid, text("event"), text("title"), text("method", "vote"),
                   [o for o in options if isinstance(o, str)] if isinstance(options, list) else [],
                   text("details"), text("agenda_item") or None, text("voters", "checked-in"), text("voter_role"),
                   number("quorum_count"), number("quorum_percent"), text("status", "open"), text("outcome"),
                   text("closed_at") or None, text("result"))


@dataclass(frozen=True)
class Tally:
    counts: dict[str, int]  # option -> votes (and hands)
    eligible: int  # people who may vote right now
    present: int  # of the voter pool, checked in right now
    quorum_needed: int
    quorum_met: bool
    blocks: list[str]  # names of those who block (or object)
    stand_asides: list[str]
    votes: dict[str, str]  # member name -> choice, counted votes only

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _quorum_needed(proposal: Proposal, pool_size: int) -> int:
    """People of the voter pool who must be checked in: a number, or a share of the pool."""
    if proposal.quorum_count is not None:
        return proposal.quorum_count
    if proposal.quorum_percent is not None:
        return math.ceil(min(100, max(0, proposal.quorum_percent)) * pool_size / 100)
    return 0


def parse_quorum(text: str | None) -> dict[str, int | None]:
    """'12' -> a number of people, '50%' -> a share; refused with one sentence otherwise."""
    if text is None or not str(text).strip():
        return {"quorum_count": None, "quorum_percent": None}
    raw = str(text).strip()
    try:
        if raw.endswith("%"):
            return {"quorum_count": None, "quorum_percent": int(raw[:-1])}
        return {"quorum_count": int(raw), "quorum_percent": None}
    except ValueError:
        raise ValidationError("quorum", f"quorum: '{raw}' is not a number of people (12) or a share (50%).") from None


def parse_voters(text: str | None) -> dict[str, str]:
    raw = (text or "checked-in").strip()
    if raw.startswith("role:"):
        return {"voters": "role", "voter_role": raw[5:].strip()}
    if raw not in VOTERS or raw == "role":
        raise ValidationError("voters", f"voters: '{raw}' is not checked-in, all or role:NAME.")
    return {"voters": raw, "voter_role": ""}


def _is_int(value: Any) -> bool:
    return type(value) is int


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# The shape of each part of a tally recorded at closing (Tally.to_json).
_RESULT_SHAPE: dict[str, Any] = {
    "counts": lambda v: isinstance(v, dict) and all(isinstance(k, str) and _is_int(n) for k, n in v.items()),
    "eligible": _is_int, "present": _is_int, "quorum_needed": _is_int,
    "quorum_met": lambda v: type(v) is bool,
    "blocks": _texts, "stand_asides": _texts,
    "votes": lambda v: isinstance(v, dict) and all(isinstance(k, str) and isinstance(c, str) for k, c in v.items()),
}


def stored_result(result: str) -> dict[str, Any]:
    """The tally recorded at closing, or {} (the live count stands in) when it is not one: a
    peer's result is input, and may be any text."""
    try:
        parsed = json.loads(result)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(parsed, dict) or not all(k in _RESULT_SHAPE and _RESULT_SHAPE[k](v) for k, v in parsed.items()):
        return {}
    return parsed


def check_item_of_event(db: Any, item_id: str, event: str) -> None:
    """`ValidationError` (field "agenda item") when `item_id` is an agenda item of another
    event's meeting: a decision or task is linked only to its own meeting's agenda. An id that
    is no agenda item at all is left to validation, which names it."""
    found = queries.get_record(db, item_id)
    if found is not None and found.kind == "agenda_item" and not found.deleted \
            and found.values.get("event") != event:
        raise ValidationError("agenda_item", f"agenda item: '{item_id}' is on another meeting's agenda, "
                                             "not this event's.")


class Proposals(RecordService):
    """Proposals put to a meeting, votes, shows of hands, tallies and outcomes.

    Raises `NotFoundError` for an unknown event, proposal or member id and `ValidationError`
    naming the field for anything refused (an answer that is not an option, a closed
    proposal, a member who may not vote on it).
    """

    kind = "proposal"

    def add(self, event: str, title: str, method: str, *, options: Iterable[str] = (), details: str = "",
            quorum: str | None = None, voters: str | None = None, agenda_item: str | None = None) -> Proposal:
        """Put a proposal to the event's meeting. `method`: "consensus", "consent", "vote" or
        "hands"; `options`: the choices of a vote or show of hands (the consent and consensus
        answers are fixed); `quorum`: "50%" of those checked in, or a number of people; `voters`:
        "checked-in" (default), "all" or "role:NAME"; `agenda_item`: the item it belongs to."""
        self._current(event, "event")
        values: dict[str, Any] = {"event": event, "title": title, "method": method, "details": details,
                                  "options": list(options), **parse_quorum(quorum), **parse_voters(voters)}
        if agenda_item:
            check_item_of_event(self.db, agenda_item, event)
            values["agenda_item"] = agenda_item
        if str(method).strip().lower() in ("consent", "consensus") and values["options"]:
            raise ValidationError("options", f"options: a {method} proposal has fixed answers; drop --option.")
        record_id, ops = self._create_ops(values)
        self.replica.commit(ops, fresh=(record_id,))
        return self.get(record_id)

    def get(self, proposal_id: str) -> Proposal:
        """One proposal; `NotFoundError` if there is none."""
        return Proposal.from_values(proposal_id, self._current(proposal_id))

    def list(self, event: str) -> list[Proposal]:
        """The event's proposals, oldest first."""
        return [Proposal.from_values(rid, v) for rid, v in queries.list_records(self.db, "proposal", link1=event)]

    def open_one(self, event: str) -> Proposal | None:
        """The newest open proposal of the event (the one the projector shows)."""
        open_ = [p for p in self.list(event) if p.status == "open"]
        return open_[-1] if open_ else None

    # ---- voting ----------------------------------------------------------------------------

    def _open(self, proposal_id: str) -> Proposal:
        proposal = self.get(proposal_id)
        if proposal.status == "closed":
            raise ValidationError("proposal", f"proposal: '{proposal.title}' is closed; its votes cannot change.")
        return proposal

    def vote(self, proposal_id: str, member: str, choice: str) -> None:
        """Record (or change) a member's answer. The vote's id is derived from (proposal,
        member), so two laptops recording one person's vote at once write one record.
        Returns nothing: the tally is read by whoever shows it, after the vote is on its way."""
        proposal = self._open(proposal_id)
        choice = choice.strip().lower() if proposal.method != "vote" else choice.strip()
        if choice not in proposal.choices:
            raise ValidationError("option", f"option: '{choice}' is not one of {', '.join(proposal.choices)}.")
        self._current(member, "member")
        if proposal.method != "hands" and member not in self._eligible(proposal):
            raise ValidationError("member", f"member: {self._name(member)} may not vote on this proposal: "
                                            f"{self._who_votes(proposal, member)}.")
        if proposal.method == "hands" and choice not in NAMED_AT_HANDS:
            raise ValidationError("option", "option: at a show of hands only blocks and stand-asides are named; "
                                            "count the rest with `proposal count`.")
        links = {"proposal": proposal_id, "member": member}
        clean = validate("vote", {**links, "choice": choice}, exists=self._exists)
        vote_id = identity_id(VOTE, links)
        self.replica.commit([LocalOp("vote", vote_id, k, v) for k, v in clean.items()]
                            + [LocalOp("vote", vote_id, "deleted", False)])

    def count(self, proposal_id: str, option: str, count: int | str) -> None:
        """Record a show of hands: how many raised a hand for one option."""
        proposal = self._open(proposal_id)
        if proposal.method != "hands":
            raise ValidationError("proposal", f"proposal: '{proposal.title}' is a {proposal.method}, not a show "
                                              "of hands; record votes with `organiser vote`.")
        if option not in proposal.options:
            raise ValidationError("option", f"option: '{option}' is not one of {', '.join(proposal.options)}.")
        links = {"proposal": proposal_id, "option": option}
        clean = validate("hand_count", {**links, "count": count}, exists=self._exists)
        if clean["count"] < 0:
            raise ValidationError("count", f"count: {clean['count']} hands cannot be below zero.")
        rid = identity_id(HAND_COUNT, links)
        self.replica.commit([LocalOp("hand_count", rid, k, v) for k, v in clean.items()])

    def close(self, proposal_id: str, outcome: str) -> Proposal:
        """Close with an outcome statement; the tally, quorum and blocks are kept as they stood."""
        self._open(proposal_id)
        if not outcome.strip():
            raise ValidationError("outcome", "outcome: say what was decided (--outcome TEXT).")
        tally = self.tally(proposal_id)
        values = validate("proposal", {"status": "closed", "outcome": outcome,
                                       "closed_at": clock.now().astimezone().isoformat(timespec="seconds"),
                                       "result": json.dumps(tally.to_json(), ensure_ascii=False)},
                          current=self._current(proposal_id))
        self.replica.commit([LocalOp("proposal", proposal_id, k, v) for k, v in values.items()])
        return self.get(proposal_id)

    def reopen(self, proposal_id: str) -> Proposal:
        """Open a closed proposal again (it was closed too early or by mistake): its outcome and
        the tally kept at closing are cleared and votes can change; the change log keeps them."""
        proposal = self.get(proposal_id)
        if proposal.status != "closed":
            raise ValidationError("proposal", f"proposal: '{proposal.title}' is open already.")
        values = validate("proposal", {"status": "open", "outcome": "", "closed_at": None, "result": ""},
                          current=self._current(proposal_id))
        self.replica.commit([LocalOp("proposal", proposal_id, k, v) for k, v in values.items()])
        return self.get(proposal_id)

    # ---- counting --------------------------------------------------------------------------

    def _checked_in(self, event: str) -> set[str]:
        return meeting_store.checked_in(self.db, event)

    def _pool(self, proposal: Proposal) -> set[str]:
        """Who may vote at all: every member, or the role's members."""
        if proposal.voters == "role":
            return meeting_store.members_with_role(self.db, proposal.voter_role)
        return meeting_store.member_ids(self.db)

    def _eligible(self, proposal: Proposal) -> set[str]:
        if proposal.voters == "all":
            return self._pool(proposal)
        return self._pool(proposal) & self._checked_in(proposal.event)

    def _who_votes(self, proposal: Proposal, member: str) -> str:
        """Why `member` is not among the voters, in the words of the proposal form (a host read
        "(voters: role:working group: Housing)" and had to know the notation)."""
        if proposal.voters == "role" and member not in self._pool(proposal):
            role = proposal.voter_role
            return (f"only the {working_group_name(role)} working group votes" if is_working_group(role)
                    else f"only members with the role '{role}' vote")
        if proposal.voters != "all" and member not in self._checked_in(proposal.event):
            return "only members checked in at the meeting vote"
        return "they are not among its voters"

    def _name(self, member: str) -> str:
        found = queries.get_record(self.db, member)
        name = found.values.get("name") if found else None
        return name if isinstance(name, str) and name else member[:8]

    def tally(self, proposal_id: str) -> Tally:
        """Where a proposal stands now: counts per option, who blocks or stands aside, and
        whether the quorum (of the voter pool, those checked in) is met."""
        proposal = self.get(proposal_id)
        pool = self._pool(proposal)
        present = len(pool & self._checked_in(proposal.event))
        eligible = self._eligible(proposal)
        counted = self._counted_votes(proposal, pool, eligible)
        counts = {choice: 0 for choice in proposal.choices}
        for choice in counted.values():
            counts[choice] += 1
        if proposal.method == "hands":
            self._add_hands(proposal_id, counts)
        names = {m: self._name(m) for m in counted}
        needed = _quorum_needed(proposal, len(pool))
        return Tally(
            counts=counts, eligible=len(eligible), present=present, quorum_needed=needed,
            quorum_met=present >= needed,
            blocks=sorted((names[m] for m, c in counted.items() if c in BLOCKING), key=str.casefold),
            stand_asides=sorted((names[m] for m, c in counted.items() if c == "stand aside"), key=str.casefold),
            votes={names[m]: c for m, c in sorted(counted.items(), key=lambda mc: names[mc[0]].casefold())},
        )

    def _counted_votes(self, proposal: Proposal, pool: set[str], eligible: set[str]) -> dict[str, str]:
        """{member: choice} of the votes that count: an option of the proposal, from someone
        who may vote (at a show of hands, anyone in the pool naming a block or stand-aside)."""
        # A vote may arrive without its member or choice (a third device's change before the one
        # that made the record): not a vote yet, so not counted.
        votes = {v["member"]: v["choice"] for _r, v in queries.list_records(self.db, "vote", link1=proposal.id)
                 if isinstance(v.get("member"), str) and isinstance(v.get("choice"), str)}
        return {m: c for m, c in votes.items() if c in proposal.choices
                and (m in eligible or (proposal.method == "hands" and m in pool))}

    def _add_hands(self, proposal_id: str, counts: dict[str, int]) -> None:
        """Add a show of hands' counts to the named votes' counts."""
        for _r, v in queries.list_records(self.db, "hand_count", link1=proposal_id):
            if isinstance(v.get("option"), str) and v["option"] in counts and type(v.get("count")) is int:
                counts[v["option"]] += max(0, v["count"])

    def show(self, proposal_id: str) -> dict[str, Any]:
        """Everything about a proposal, for `proposal show --json` and exports. Once closed,
        the tally is the one recorded at closing."""
        proposal = self.get(proposal_id)
        tally = self.tally(proposal_id).to_json()
        if proposal.status == "closed" and proposal.result:
            tally = {**tally, **stored_result(proposal.result)}
        return {
            "id": proposal.id, "event": proposal.event, "title": proposal.title, "details": proposal.details,
            "kind": proposal.method, "options": list(proposal.choices), "voters": proposal.voters_text,
            "quorum": proposal.quorum_text, "status": proposal.status, "outcome": proposal.outcome,
            "closed_at": proposal.closed_at, "agenda_item": proposal.agenda_item,
            "tally": tally["counts"], "eligible": tally["eligible"], "present": tally["present"],
            "quorum_needed": tally["quorum_needed"], "quorum_met": tally["quorum_met"],
            "blocks": tally["blocks"], "stand_asides": tally["stand_asides"], "votes": tally["votes"],
        }
