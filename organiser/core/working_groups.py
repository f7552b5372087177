"""A working group is kept as a member's role named "working group: NAME": the app's Working groups
column and filter, the CLI's --role, a spreadsheet's "Working group" column and a vCard's
categories all write and read that one form."""

from __future__ import annotations

WORKING_GROUP_PREFIX = "working group:"


def is_working_group(role: str) -> bool:
    return role.casefold().startswith(WORKING_GROUP_PREFIX)


def working_group_name(role: str) -> str:
    return role[len(WORKING_GROUP_PREFIX):].strip() if is_working_group(role) else role


def working_group_role(name: str) -> str:
    """The role that puts a member in the working group `name` (kept as it is when it is one already)."""
    return name if is_working_group(name) else f"{WORKING_GROUP_PREFIX} {name.strip()}"
