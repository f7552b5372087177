"""The sync protocol (frames and messages, no I/O) and one peer conversation."""
