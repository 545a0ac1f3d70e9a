"""The offline-sync protocol, server side: plain Python the API calls (see docs/sync-protocol.md)."""
