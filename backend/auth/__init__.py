"""Authentication: one path for every endpoint (see guard.py)."""
