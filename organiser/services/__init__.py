"""Use cases shared by the UI and the command line. Neither of those touches SQL."""

from organiser.services.group import Group, create_group, join_group, open_group

__all__ = ["Group", "create_group", "join_group", "open_group"]
