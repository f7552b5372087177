"""Organiser: a group's events, tasks and member directory, synced peer to peer on the local network."""

__version__ = "0.1.0"
