"""Syncing a group through a shared folder (Syncthing, Nextcloud, a USB stick).

`crypto` holds the folder keys and sealing, `segments` the pure encoding of what goes in a
file, `layout` the files themselves: where each device writes, what is read, what is ignored.
No SQL here: what the group knows (its keys, what was read) comes in from services/folders.py.
"""
