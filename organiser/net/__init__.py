"""Devices talking on the LAN: discovery (mDNS), TLS transport, invites, the sync node."""
