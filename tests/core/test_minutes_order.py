"""Minutes updates that arrive before what they were made on are merged once it has come.

The four updates below are the smallest case found where Yrs's own store of early updates
(pycrdt 0.14.13) keeps two of them for ever: two laptops typing, one of whose letters sits
between the other's, delivered to a third as c, d, b, a. Applied straight to a pycrdt Doc in
that order the text is "ab"; it must be "cdab". `MinutesDoc.receive` never hands Yrs an
update before the document holds what the update was made on.
"""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from organiser.core.minutes import MinutesDoc, MinutesUpdate, edit_update, needs, own_start


def _typed(doc: MinutesDoc, position: int, letter: str) -> MinutesUpdate:
    """An editor's keystroke as it is sent: the transaction's update, the state after it."""
    return edit_update(doc, lambda d: d.replace(position, position, letter))


def _deleted(doc: MinutesDoc, position: int) -> MinutesUpdate:
    return edit_update(doc, lambda d: d.replace(position, position + 1, ""))


def _laptop(client_id: int) -> MinutesDoc:
    from pycrdt import Doc, Text

    doc = MinutesDoc()
    doc.doc = Doc(client_id=client_id)  # fixed ids: the order of ties is then the same every run
    doc.text = doc.doc.get("minutes", type=Text)
    return doc


def two_laptops_typing() -> list[MinutesUpdate]:
    """b types "b"; a types "a" before it; b types "c" before both; a types "d" after "c"."""
    a, b = _laptop(1), _laptop(2)
    u0 = _typed(b, 0, "b")
    a.apply(u0.update)
    u1 = _typed(a, 0, "a")
    b.apply(u1.update)
    u2 = _typed(b, 0, "c")
    a.apply(u2.update)
    u3 = _typed(a, 1, "d")
    assert str(a) == "cdab"
    return [u0, u1, u2, u3]


def test_updates_whose_gaps_of_two_authors_fill_in_late_are_all_merged():
    u0, u1, u2, u3 = two_laptops_typing()
    doc = MinutesDoc()
    for update in (u2, u3, u0, u1):
        doc.receive(update)
    assert str(doc) == "cdab"
    assert doc.waiting == []


def test_in_every_order_and_with_duplicates_the_text_is_the_same():
    updates = two_laptops_typing()
    for order in itertools.permutations(updates):
        doc = MinutesDoc()
        for update in (*order, *order[:2]):
            doc.receive(update)
        assert str(doc) == "cdab", order


def test_an_update_waits_beside_the_document_until_its_predecessor_comes():
    u0, _u1, u2, _u3 = two_laptops_typing()
    doc = MinutesDoc()
    doc.receive(u2)
    doc.receive(u2)  # the same changeset relayed twice waits once
    assert str(doc) == "" and [update for update, _ in doc.waiting] == [u2]
    assert doc.snapshot() == MinutesDoc().snapshot()  # nothing of it inside the document
    doc.receive(u0)
    assert str(doc) == "b" and len(doc.waiting) == 1  # u2 also needs a's "a"


def test_what_an_update_needs_is_what_came_before_it_not_itself():
    _u0, _u1, u2, u3 = two_laptops_typing()
    assert own_start(u2.update) == (2, 1)  # b's second letter
    assert needs(u2) == {1: 1, 2: 1}  # a's "a" and b's "b"; deps say b's 2, counting "c" itself
    assert needs(u3) == {1: 1, 2: 2}
    deletion = MinutesDoc()
    deletion.append("xy")
    assert own_start(_deleted(deletion, 0).update) is None  # a deletion carries no text of its own
    assert own_start(b"\xff") is None


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32))
def test_three_editors_typing_converge_in_any_delivery_order(seed):
    rng = random.Random(seed)
    laptops = [_laptop(n + 1) for n in range(3)]
    sent: list[MinutesUpdate] = []
    for _ in range(12):
        n = rng.randrange(3)
        laptop = laptops[n]
        text = str(laptop)
        if text and rng.random() < 0.25:
            sent.append(_deleted(laptop, rng.randrange(len(text))))
        else:
            sent.append(_typed(laptop, rng.randint(0, len(text)), rng.choice("xyzé😀")))
        for other in laptops:  # some of it reaches some laptops
            if other is not laptop and rng.random() < 0.5:
                other.apply(laptop.update_since(other.state()))
    expected = MinutesDoc()
    for update in sent:
        expected.apply(update.update)  # in the order typed: nothing arrives early
    for _ in range(3):
        order = sent[:]
        rng.shuffle(order)
        doc = MinutesDoc()
        for update in order:
            doc.receive(update)
        assert str(doc) == str(expected) and doc.waiting == []
