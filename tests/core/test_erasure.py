"""Erasure orders and stubs, as pure functions (core/erasure.py)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.changeset import GENESIS, Op, sign_changeset
from organiser.core.erasure import ERASURE_KIND, Listed, Order, parse_order, stub_of, touches

H = "a" * 64


def test_a_stub_nulls_only_the_forgotten_records_values_and_is_the_same_bytes_wherever_made():
    key = Ed25519PrivateKey.generate()
    cs = sign_changeset(key, "g" * 32, "d" * 32, 1, GENESIS, 5, [
        Op("member", "m1", "name", "Zofia", None), Op("member", "m1", "phones", ["+44 7700 900123"], (3, "x")),
        Op("event", "e1", "title", "Assembly", None)])
    stub = stub_of(cs.body, {"m1"})
    assert b"Zofia" not in stub and b"900123" not in stub and b"Assembly" in stub
    assert stub == stub_of(cs.body, frozenset({"m1"})) == stub_of(stub, {"m1"})  # deterministic, idempotent
    assert b'[3,"x"]' in stub  # the version it overwrote stays: merging converges
    assert touches(cs.ops, {"m1"}) and not touches(cs.ops, {"m2"})


def test_an_order_goes_to_its_value_and_back():
    order = Order(("m1", "r1"), (Listed("d" * 32, 3, H, "b" * 64),))
    assert parse_order(order.to_value()) == order


@pytest.mark.parametrize("value", [
    None, [], "m1", {"records": ["m1"]}, {"records": [], "changesets": []},
    {"records": ["m1"], "changesets": [], "extra": 1},
    {"records": ["not an id!"], "changesets": []},
    {"records": ["m1"], "changesets": [["d", 0, H, H]]},
    {"records": ["m1"], "changesets": [["d", 1, "short", H]]},
    {"records": ["m1"], "changesets": [["d", 1, H.upper(), H]]},
    {"records": ["m1"], "changesets": [["d", True, H, H]]},
    {"records": ["m1"], "changesets": [["d", 1, H]]},
    {"records": [f"m{i}" for i in range(257)], "changesets": []},
])
def test_anything_but_a_well_formed_order_is_none(value):
    assert parse_order(value) is None


def test_an_orders_own_ops_are_never_nulled():
    key = Ed25519PrivateKey.generate()
    value = Order(("m1",), ()).to_value()
    cs = sign_changeset(key, "g" * 32, "d" * 32, 1, GENESIS, 5, [Op(ERASURE_KIND, "m1", "order", value, None)])
    assert stub_of(cs.body, {"m1"}) == cs.body
