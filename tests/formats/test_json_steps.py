"""A backup's JSON read in steps gives what `json.loads` gives, and refuses what it refuses."""

from __future__ import annotations

import json

import pytest

from organiser.formats import json_steps

SAME = [
    '{"format": "organiser-backup", "records": [{"id": "a", "v": [1, 2.5, null]}, {"id": "b"}], "changes": []}',
    ' \n{ "a" : [ 1 , [2, 3] , {"b": []} ] , "c" : {"d": [1]} , "e": "x" }\n',
    '{}', '[1, 2]', '"text"', '{"a": []}', '{"a": [ ]}', '{"dup": 1, "dup": [2]}',
    '{"unicode": ["é 😀 \\u00e9", "tab\\t"]}', '{"big": [1e400, -0.0, NaN]}',
]
REFUSED = [
    '{"a": [1, 2}', '{"a": [1 2]}', '{"a": [1,]}', '{"a" 1}', '{a: 1}', '{"a": 1,}', '{"a": 1} x',
    '{"a": [1]', '{"a": [', '{', '{"a": [1], }', '{"a": [{"b": }]}',
]


@pytest.mark.parametrize("text", SAME)
def test_it_reads_what_json_reads_the_same(text):  # compared as JSON again: NaN is not equal to itself
    assert json.dumps(json_steps.loads(text)) == json.dumps(json.loads(text))


@pytest.mark.parametrize("text", REFUSED)
def test_it_refuses_what_json_refuses_with_the_line(text):
    with pytest.raises(json.JSONDecodeError) as plain:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as stepped:
        json_steps.loads(text)
    assert stepped.value.lineno == plain.value.lineno


def test_a_document_nested_too_deep_is_refused_as_json_refuses_it():
    deep = '{"a": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    with pytest.raises(RecursionError):
        json_steps.loads(deep)


def test_the_text_is_decoded_in_pieces_as_a_whole_decode_gives_it():
    data = "\ufeff".encode() + ("é😀 backup " * 50_000).encode()
    assert json_steps.text_of(data, piece=1000) == data.decode("utf-8-sig")
    with pytest.raises(UnicodeDecodeError):
        json_steps.text_of(b"ok" + b"\xff" * 3, piece=2)
