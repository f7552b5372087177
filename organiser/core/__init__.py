"""Records, their rules, clocks, changesets and merge. No Qt, no sockets, no SQL."""
