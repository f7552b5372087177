"""The wire format alone: frames, messages, limits. No network."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser.sync import protocol as p

changeset_items = st.lists(st.tuples(st.binary(max_size=300), st.binary(min_size=64, max_size=64)), max_size=20)


@given(changeset_items, st.integers(min_value=0, max_value=2**32 - 1))
def test_changes_survive_a_round_trip(items, remaining):
    frames = p.FrameDecoder().feed(p.encode_changes(items, remaining))
    assert len(frames) == 1 and frames[0].type == p.FrameType.CHANGES
    assert p.decode_changes(frames[0].payload) == (items, remaining)


@given(st.lists(st.sampled_from([b"", b"x" * 10, b"\x00" * 300]), max_size=10), st.integers(1, 50))
def test_a_stream_cut_into_any_pieces_gives_the_same_frames(payloads, piece):
    stream = b"".join(p.encode_frame(p.FrameType.PING, body) for body in payloads)
    decoder = p.FrameDecoder()
    frames = []
    for start in range(0, len(stream), piece):
        frames += decoder.feed(stream[start:start + piece])
    assert [f.payload for f in frames] == payloads
    assert decoder.pending == 0


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_garbage_bytes_raise_protocol_error_or_wait_for_more_never_anything_else(data):
    decoder = p.FrameDecoder()
    try:
        frames = decoder.feed(data)
    except p.ProtocolError:
        return
    for frame in frames:
        for decode in (p.decode_changes, p.decode_hello, p.decode_vector, p.decode_error, p.decode_json):
            try:
                decode(frame.payload)
            except p.ProtocolError:
                pass


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_garbage_changes_payloads_are_refused_cleanly(payload):
    try:
        items, _remaining = p.decode_changes(payload)
    except p.ProtocolError:
        return
    assert all(len(sig) == 64 for _body, sig in items)


def test_an_oversized_frame_is_refused_from_its_header_alone():
    header = p.HEADER.pack(p.PROTOCOL_VERSION, int(p.FrameType.CHANGES), p.MAX_FRAME + 1)
    with pytest.raises(p.ProtocolError, match="larger than the limit"):
        p.FrameDecoder().feed(header)
    with pytest.raises(p.ProtocolError, match="larger than the limit"):
        p.encode_frame(p.FrameType.CHANGES, b"\x00" * (p.MAX_FRAME + 1))


def test_another_protocol_version_is_refused_with_both_versions_named():
    with pytest.raises(p.ProtocolError, match="version 9"):
        p.parse_header(p.HEADER.pack(9, 1, 0))


def test_an_unknown_frame_type_is_refused():
    with pytest.raises(p.ProtocolError, match="unknown frame type"):
        p.parse_header(p.HEADER.pack(p.PROTOCOL_VERSION, 200, 0))


@given(st.text(min_size=1, max_size=32), st.dictionaries(st.text(max_size=32), st.integers(0, 2**40), max_size=5))
def test_hello_round_trips(device, vector):
    frame = p.FrameDecoder().feed(p.encode_hello(device, vector))[0]
    assert p.decode_hello(frame.payload) == (device, vector)


@pytest.mark.parametrize("payload", [b"[]", b"{}", b'{"device": 3, "vector": {}}',
                                     b'{"device": "a", "vector": {"x": -1}}', b'{"device": "a", "vector": {"x": 1.5}}',
                                     b"\xff\xfe"])
def test_malformed_hello_is_a_protocol_error(payload):
    with pytest.raises(p.ProtocolError):
        p.decode_hello(payload)


def test_batches_keep_order_and_stay_under_the_frame_size():
    items = [(bytes([i % 256]) * 1000, b"s" * 64) for i in range(3000)]
    groups = p.batches(items)
    assert [item for group in groups for item in group] == items
    assert all(len(p.encode_changes(group)) <= p.MAX_FRAME for group in groups)
    assert len(groups) > 1


@given(st.frozensets(st.text(max_size=64), max_size=20))
def test_neighbours_round_trip(devices):
    frame = p.FrameDecoder().feed(p.encode_neighbours(devices))[0]
    assert frame.type == p.FrameType.NEIGHBOURS and p.decode_neighbours(frame.payload) == devices


@pytest.mark.parametrize("payload", [b'{"devices": "a"}', b'{"devices": [1]}', b"{}"])
def test_malformed_neighbours_are_a_protocol_error(payload):
    with pytest.raises(p.ProtocolError):
        p.decode_neighbours(payload)


def test_a_request_carries_a_vector():
    frame = p.FrameDecoder().feed(p.encode_request({"a" * 32: 7}))[0]
    assert frame.type == p.FrameType.REQUEST and p.decode_vector(frame.payload) == {"a" * 32: 7}


def test_hello_carries_whom_its_sender_hears_directly():
    hello = p.parse_hello(p.encode_hello("d" * 64, {}, neighbours=frozenset({"a" * 64}))[p.HEADER.size:])
    assert hello.neighbours == frozenset({"a" * 64})
    assert p.parse_hello(p.encode_hello("d" * 64, {})[p.HEADER.size:]).neighbours == frozenset()
    with pytest.raises(p.ProtocolError):
        p.parse_hello(b'{"device": "d", "vector": {}, "neighbours": "everyone"}')


def test_a_relay_message_round_trips_and_malformed_ones_are_refused():
    frame = p.FrameDecoder().feed(p.encode_relay(skip={"a" * 64}, take={"b" * 64: 3}))[0]
    assert frame.type == p.FrameType.RELAY
    assert p.decode_relay(frame.payload) == (frozenset({"a" * 64}), {"b" * 64: 3})
    for payload in (b'{"skip": "a"}', b'{"skip": [1]}', b'{"take": {"a": -1}}', b'{"take": []}',
                    b'{"skip": ["a"], "take": {"a": 1}}', b"[]"):
        with pytest.raises(p.ProtocolError):
            p.decode_relay(payload)


def test_hello_lists_the_features_its_sender_understands():
    hello = p.parse_hello(p.encode_hello("d" * 64, {}, features=(p.SKIP_FEATURE,))[p.HEADER.size:])
    assert hello.features == (p.SKIP_FEATURE,)
    assert p.parse_hello(p.encode_hello("d" * 64, {})[p.HEADER.size:]).features == ()  # an older version
    with pytest.raises(p.ProtocolError, match="features"):
        p.parse_hello(b'{"device": "d", "vector": {}, "features": [1]}')
