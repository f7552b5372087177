"""The choice of links in a big room (organiser/net/fanout.py): connected, small diameter, bounded."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from organiser.net import fanout
from organiser.net.fanout import ACCEPT_FACTOR, LINKS, Mesh, chosen, edges

names = st.text(alphabet="0123456789abcdef", min_size=6, max_size=12)
rooms = st.lists(names, min_size=2, max_size=60, unique=True)
salts = st.text(alphabet="0123456789abcdef", min_size=16, max_size=16)


def distances(nodes: list[str], links: set[frozenset[str]], start: str) -> dict[str, int]:
    near: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in (tuple(link) for link in links):
        near[a].add(b)
        near[b].add(a)
    seen, frontier = {start: 0}, [start]
    while frontier:
        here = frontier.pop(0)
        for other in near[here]:
            if other not in seen:
                seen[other] = seen[here] + 1
                frontier.append(other)
    return seen


def degrees(nodes: list[str], links: set[frozenset[str]]) -> dict[str, int]:
    return {n: sum(n in link for link in links) for n in nodes}


@settings(max_examples=150, deadline=None)
@given(rooms, salts, st.sampled_from([2, 3, 4, LINKS]))
def test_the_room_is_connected_with_a_short_diameter_and_bounded_links(room, salt, links):
    graph = edges(set(room), salt, links)
    reach = distances(room, graph, room[0])
    assert set(reach) == set(room)  # connected
    if len(room) > 3:
        for node in room[1:3]:
            far = max(distances(room, graph, node).values())
            if links // 2 >= 2:  # chords: a diameter near log2(n)
                assert far <= 2 * math.ceil(math.log2(len(room)))
            else:  # the ring alone
                assert far <= len(room) // 2
    for node in room:
        mine = chosen(node, set(room), salt, links)
        assert node not in mine
        if len(room) <= links + 1:
            assert mine == set(room) - {node}  # a small room is the full mesh, as before
        else:
            assert len(mine) == max(1, links // 2)
    if len(room) > links + 1:
        found = degrees(room, graph)
        assert min(found.values()) >= 2  # on the ring: dials its successor, dialled by its predecessor
        assert max(found.values()) < ACCEPT_FACTOR * links  # a chosen link is never refused
        assert sum(found.values()) / len(room) <= links


@settings(max_examples=100, deadline=None)
@given(rooms, salts, st.randoms(use_true_random=False))
def test_every_prefix_of_arrivals_is_connected_and_the_views_end_alike(room, salt, rng):
    """Laptops arrive one by one in any order; each hears the others in any order. While
    arriving, the room of those that heard each other is connected; at the end every node's
    own view makes it dial exactly what the shared choice says."""
    order = list(room)
    rng.shuffle(order)
    for count in range(2, len(order) + 1):
        present = order[:count]
        assert set(distances(present, edges(set(present), salt), present[0])) == set(present)
    addresses = {name: f"10.0.0.{i}:7000" for i, name in enumerate(room)}
    for me in room:
        mesh = Mesh(me, salt, LINKS)
        heard = [n for n in room if n != me]
        rng.shuffle(heard)
        for name in heard:
            mesh.saw(addresses[name], name)
            mesh.saw(addresses[name], name)  # announcements repeat
        mine = chosen(me, set(room), salt, LINKS)
        assert mesh.dialled() == {addresses[n] for n in mine}
        assert mesh.partial == (len(room) > LINKS + 1)
        for name in heard:
            assert mesh.needed(addresses[name]) == (name in mine or me in chosen(name, set(room), salt, LINKS))
            assert mesh.wanted(addresses[name]) == (name in mine)


def test_an_address_not_heard_on_the_lan_is_dialled_and_a_lost_node_leaves_the_view():
    room = [f"node{i:02d}" for i in range(20)]
    mesh = Mesh(room[0], "salt", 4)
    for i, name in enumerate(room[1:], start=1):
        mesh.saw(f"10.0.0.{i}:7000", name)
    assert mesh.wanted("10.9.9.9:7000") and mesh.needed("10.9.9.9:7000")  # typed by hand or remembered
    assert len(mesh.dialled()) == 2
    for name in room[5:]:
        mesh.lost(name)
    assert not mesh.partial
    assert mesh.dialled() == {f"10.0.0.{i}:7000" for i in range(1, 5)}
    assert mesh.accepts(100)  # never below the full mesh
    for i, name in enumerate(room[5:], start=5):
        mesh.saw(f"10.0.0.{i}:7000", name)
    assert mesh.accepts(ACCEPT_FACTOR * 4 - 1) and not mesh.accepts(ACCEPT_FACTOR * 4)


def test_the_number_of_links_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(fanout.LINKS_VARIABLE, "2")
    assert fanout.links_wanted() == 2
    monkeypatch.setenv(fanout.LINKS_VARIABLE, "1")
    assert fanout.links_wanted() == 2  # a ring needs two ends
    monkeypatch.setenv(fanout.LINKS_VARIABLE, "many")
    assert fanout.links_wanted() == LINKS
    monkeypatch.delenv(fanout.LINKS_VARIABLE)
    assert fanout.links_wanted() == LINKS
