"""The tree per author (sync/routes.py): laptops that only tell their peers how far they are from
each laptop (NEIGHBOURS "hops") end up keeping, for every author, links that form a tree rooted
at that author: no cycle, every laptop reached, each by a shortest path; again after a link is
cut, as long as the room stays connected. Simulated in rounds, with Hypothesis; no network."""

from __future__ import annotations

import random
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser.sync import protocol as p
from organiser.sync.routes import BACK_OFF, BACK_OFF_MAX, Routes, believed

Graph = dict[str, set[str]]


def room(n: int, extra: list[tuple[int, int]]) -> Graph:
    """n laptops on a ring (connected, as net/fanout.py makes it) with chords."""
    names = [f"{i:02d}" + "d" * 62 for i in range(n)]
    graph: Graph = {name: set() for name in names}
    for i in range(n):
        link(graph, names[i], names[(i + 1) % n])
    for i, j in extra:
        link(graph, names[i % n], names[j % n])
    return graph


def link(graph: Graph, a: str, b: str) -> None:
    if a != b:
        graph[a].add(b)
        graph[b].add(a)


def count(graph: Graph, routes: dict[str, Routes], rounds: int) -> int:
    """Rounds of every laptop counting again from what its peers told it, until nothing moves."""
    for done in range(1, rounds + 1):
        told = {(me, peer): routes[peer].told(me) for me in graph for peer in graph[me]}
        changed = [routes[me].update((peer, told[me, peer], set()) for peer in sorted(graph[me])) for me in graph]
        if not any(changed):
            return done
    raise AssertionError(f"the counts still moved after {rounds} rounds")


def distances(graph: Graph, root: str) -> dict[str, int]:
    seen, queue = {root: 0}, deque([root])
    while queue:
        here = queue.popleft()
        for there in graph[here]:
            if there not in seen:
                seen[there] = seen[here] + 1
                queue.append(there)
    return seen


def assert_trees(graph: Graph, routes: dict[str, Routes]) -> None:
    """For every author: each other laptop keeps a link to a peer one link nearer it, so following
    the kept links from anywhere reaches the author along a shortest path, never going round."""
    for author in graph:
        far = distances(graph, author)
        for me in graph:
            if me == author:
                assert author not in routes[me].parents
                continue
            if far[me] > p.MAX_HOPS:  # a ring cut open is a line: too long a route is no route
                assert author not in routes[me].hops
                continue
            assert routes[me].hops[author] == far[me]
            path, here = [me], me
            while here != author:
                kept = routes[here].parents[author]
                assert kept in graph[here]  # a live link of that laptop
                assert far[kept] == far[here] - 1  # strictly nearer: no cycle can form
                here = kept
                path.append(here)
            assert len(path) == far[me] + 1


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=30),
       st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=40))
def test_kept_links_form_a_tree_rooted_at_each_author_in_any_connected_room(n, chords):
    graph = room(n, chords)
    routes = {me: Routes(me) for me in graph}
    count(graph, routes, rounds=n + 2)
    assert_trees(graph, routes)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=4, max_value=30),
       st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=40), st.randoms())
def test_after_a_link_is_cut_the_counts_settle_on_trees_again(n, chords, rng: random.Random):
    graph = room(n, chords)
    routes = {me: Routes(me) for me in graph}
    count(graph, routes, rounds=n + 2)
    a = rng.choice(sorted(graph))
    b = rng.choice(sorted(graph[a]))
    graph[a].discard(b)
    graph[b].discard(a)
    if len(distances(graph, a)) < len(graph):
        return  # that link was all that held the room together: the ring's other links are tested
    # A peer is never told a route through itself, so counting up ends well before MAX_HOPS rounds.
    count(graph, routes, rounds=4 * p.MAX_HOPS)
    assert_trees(graph, routes)


def test_a_cut_room_forgets_the_laptops_it_no_longer_reaches():
    graph = room(6, [])
    routes = {me: Routes(me) for me in graph}
    count(graph, routes, rounds=8)
    names = sorted(graph)
    for a, b in ((names[0], names[1]), (names[3], names[4])):  # the ring cut in two halves
        graph[a].discard(b)
        graph[b].discard(a)
    count(graph, routes, rounds=4 * p.MAX_HOPS)
    for me in graph:
        assert set(routes[me].hops) == set(distances(graph, me)) - {me}


def test_a_peer_is_told_no_route_through_itself_and_a_doubted_link_is_not_kept():
    me, near, far, author = "m" * 64, "n" * 64, "f" * 64, "a" * 64
    routes = Routes(me)
    routes.update([(near, {author: 1}, set()), (far, {author: 3}, set())])
    assert routes.hops == {near: 1, far: 1, author: 2} and routes.parents[author] == near
    assert author not in routes.told(near) and routes.told(far) == {near: 1, author: 2}
    routes.update([(near, {author: 1}, {author}), (far, {author: 3}, set())])
    assert routes.hops[author] == 4 and routes.parents[author] == far
    routes.update([(near, {author: p.MAX_HOPS}, set())])  # one more link would be too far: no route
    assert author not in routes.hops and author not in routes.parents


def test_two_equally_near_peers_share_the_authors_by_a_hash_of_the_pair():
    me, one, two = "m" * 64, "1" * 64, "2" * 64
    authors = [f"{i:04d}" + "a" * 60 for i in range(40)]
    routes = Routes(me)
    routes.update([(one, dict.fromkeys(authors, 1), set()), (two, dict.fromkeys(authors, 1), set())])
    kept = [routes.parents[a] for a in authors]
    assert 10 < kept.count(one) < 30  # neither relays every author
    again = Routes(me)
    again.update([(two, dict.fromkeys(authors, 1), set()), (one, dict.fromkeys(authors, 1), set())])
    assert again.parents == routes.parents  # the order the links came in does not matter


def test_neighbours_carry_hops_and_bad_hops_are_refused():
    device = "d" * 64
    frame = p.encode_neighbours({device}, {device: 1, "e" * 64: 3})
    payload = frame[p.HEADER.size:]
    assert p.decode_neighbours_hops(payload) == (frozenset({device}), {device: 1, "e" * 64: 3})
    assert p.decode_neighbours(payload) == frozenset({device})  # as the previous version reads it
    assert p.decode_neighbours_hops(p.encode_neighbours({device})[p.HEADER.size:]) == (frozenset({device}), None)
    for bad in ({device: 0}, {device: p.MAX_HOPS + 1}, {device: True}, {device: "1"}, {"x" * 65: 1}, [device]):
        payload = p.encode_json(p.FrameType.NEIGHBOURS, {"devices": [], "hops": bad})[p.HEADER.size:]
        with pytest.raises(p.ProtocolError, match="hops"):
            p.decode_neighbours_hops(payload)


def test_a_peer_s_counts_are_believed_only_as_far_as_it_could_know():
    heard, other, stranger = "h" * 64, "o" * 64, "s" * 64
    members = {heard, other}
    # One link from a device it does not say it hears directly is two at best; no made-up devices.
    assert believed(frozenset({heard}), {heard: 1, other: 1, stranger: 1}, members) == {heard: 1, other: 2}
    assert believed(frozenset(), {other: 3}, members) == {other: 3}


def test_a_kept_peer_that_brought_nothing_has_no_say_for_that_author_for_longer_each_time():
    me, liar, honest, author = "m" * 64, "l" * 64, "h" * 64, "a" * 64
    routes = Routes(me)
    said = [(liar, {author: 1}, set()), (honest, {author: 2}, set())]
    routes.update(said, now=0.0)
    assert routes.parents[author] == liar
    assert routes.back_off(liar, author, now=0.0) == BACK_OFF
    routes.update(said, now=1.0)
    assert routes.parents[author] == honest and routes.hops[author] == 3 and routes.hops[liar] == 1
    routes.update(said, now=BACK_OFF + 1)  # its say comes back after the back-off ...
    assert routes.parents[author] == liar
    assert routes.back_off(liar, author, now=BACK_OFF + 1) == 2 * BACK_OFF  # ... and is lost for longer
    for _ in range(10):
        last = routes.back_off(liar, author, now=BACK_OFF + 1)
    assert last == BACK_OFF_MAX
    assert len(routes.backed_off) == 1  # one entry per (peer, author)
