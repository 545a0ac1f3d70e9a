"""The attachment stores a test can run against, and looks into them that do not care which.

`@both_stores` runs a test once with the directory store and once with the S3 store, the latter
against an S3 API emulator (moto's server mode) the session starts on a free 127.0.0.1 port,
with a bucket of its own per test. No S3-compatible server installs on these machines (MinIO
is not in Debian; Ceph's radosgw needs a cluster), so the emulator stands in for the adapter's
tests only; the directory store keeps its own.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

STORES = ["directory", "s3"]
both_stores = pytest.mark.parametrize("attachment_store", STORES, indirect=True)
S3_REGION = "ap-southeast-1"
MOTO_ACCOUNT = "123456789012"  # moto's default account (any credentials map to it)


def stored_objects(app) -> list[str]:
    """Every name the store holds, partial uploads included (relative paths / object keys)."""
    if app.config["ATTACHMENT_STORE"] == "s3":
        store = app.extensions["postround.store"]
        return sorted(entry["Key"] for entry in store._list(""))
    root = Path(app.config["STORAGE_DIR"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def verified_copies(app, sha256: str) -> list[str]:
    """The store's names for the verified bytes of `sha256` (one, if stored once)."""
    return [name for name in stored_objects(app) if name.rsplit("/", 1)[-1] == sha256]


def held_partials(app) -> set[tuple[int, str]]:
    return {(p.owner, p.sha256) for p in app.extensions["postround.store"].partials()}


def age_partial(app, sha256: str, owner: int, seconds: float) -> None:
    """Make an unfinished upload look untouched for `seconds`, on the store's own clock: the
    file's mtime in a directory, the chunks' LastModified in the bucket (the emulator runs in
    this process, so its objects' times can be set like a file's)."""
    if app.config["ATTACHMENT_STORE"] == "s3":
        from moto.s3.models import s3_backends

        store = app.extensions["postround.store"]
        keys = s3_backends[MOTO_ACCOUNT]["global"].buckets[store.bucket].keys
        prefix = f"partial/{int(owner)}/{sha256}/"
        aged = [name for name in list(keys.keys()) if name.startswith(prefix)]
        assert aged, "no such partial upload"
        for name in aged:
            for version in keys.getlist(name):
                version.last_modified -= timedelta(seconds=seconds)
        return
    path = Path(app.config["STORAGE_DIR"]) / "partial" / str(int(owner)) / f"{sha256}.part"
    stat = path.stat()
    os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))
