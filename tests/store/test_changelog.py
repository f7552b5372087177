"""The change log's stored form gives back every signed body byte for byte."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from organiser.store.changelog import HEAD_MARK, with_head

# Texts shaped like OPS, with the pieces a head is cut from and odd characters among them.
_PIECES = st.sampled_from(['[["', '","', '",', '"', ',', "[", "]", "\\", "member", "a1", "é", "null", "\\u0001"])
_OPS = st.lists(_PIECES, max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_OPS)
def test_putting_the_head_back_gives_the_text(ops):
    head, stored = with_head(ops)
    if head is None:
        assert stored == ops
    else:
        assert stored.replace(HEAD_MARK, head) == ops
        assert len(stored) + len(head) < len(ops)


def test_a_new_records_writes_share_one_head():
    ops = ('[["member","ab12","name","Ana",null],["member","ab12","emails",["a@example.org"],null],'
           '["member","ab12","notes","[\\"member\\",\\"ab12\\",",null]]')
    head, stored = with_head(ops)
    assert head == '["member","ab12",'
    assert stored == ('[\x01"name","Ana",null],\x01"emails",["a@example.org"],null],'
                      '\x01"notes","[\\"member\\",\\"ab12\\",",null]]')
    assert stored.replace(HEAD_MARK, head) == ops


def test_a_text_holding_the_mark_is_stored_as_it_is():
    ops = '[["member","ab12","name","A\x01",null],["member","ab12","notes","",null]]'
    assert with_head(ops) == (None, ops)


def test_a_single_write_is_stored_as_it_is():
    ops = '[["member","ab12","name","Ana",null]]'
    assert with_head(ops) == (None, ops)
