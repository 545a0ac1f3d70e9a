"""Where attachment bytes live: a directory by default, or an S3-compatible bucket
(`sync.s3_storage`, ATTACHMENT_STORE=s3), behind one interface.

Uploads land in a partial file and are moved into their content-addressed place only
after their SHA-256 is verified, so a crash mid-upload leaves nothing corrupt in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol


class AttachmentStore(Protocol):
    """Partial uploads belong to one uploader (`owner`, a user id): another user's bytes never
    touch them. Verified files are shared, named by their digest."""

    def received(self, sha256: str, owner: int) -> int:
        """Bytes of `owner`'s partial upload received so far (0 if none)."""

    def append(self, sha256: str, offset: int, data: bytes, owner: int) -> int:
        """Write `data` at `offset` (which must equal what was received); returns the new size."""

    def partial_digest(self, sha256: str, owner: int) -> str:
        """SHA-256 of the partial upload as it stands."""

    def promote(self, sha256: str, owner: int) -> str:
        """Move a verified partial upload into place; returns its storage key."""

    def put_verified(self, sha256: str, data: bytes) -> str:
        """Put a whole file, already verified in memory, in place (durably); returns its storage key.
        No partial upload is written for it: a whole file in one request skips that step."""

    def put_verified_many(self, files: list[tuple[str, bytes]]) -> list[str]:
        """`put_verified` for several files (distinct digests) at once; returns their keys in order."""

    def discard(self, sha256: str, owner: int) -> None:
        """Forget a partial upload."""

    def partials(self) -> Iterator[PartialUpload]:
        """Every partial upload (for expiry and quotas)."""

    def partial_bytes(self, owner: int) -> int:
        """Bytes held in `owner`'s partial uploads."""

    def exists(self, sha256: str) -> bool:
        """Whether verified bytes for this digest are in place."""

    def key(self, sha256: str) -> str:
        """The storage key of verified bytes."""

    def open(self, sha256: str) -> BinaryIO:
        """Read verified bytes."""

    def remove(self, sha256: str) -> None:
        """Delete verified bytes (retention)."""

    def open_partial(self, sha256: str, owner: int) -> BinaryIO:
        """Read a partial upload."""


@dataclass(frozen=True)
class PartialUpload:
    owner: int
    sha256: str
    size: int
    modified: datetime  # UTC, last write


def content_key(sha256: str) -> str:
    """Where verified bytes live in every store: <sha[:2]>/<sha[2:4]>/<sha>."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def make_store(config) -> AttachmentStore:
    """The store the settings name (ATTACHMENT_STORE, backend/config.py)."""
    if config["ATTACHMENT_STORE"] == "s3":
        from sync.s3_storage import S3Store

        return S3Store(config["S3_BUCKET"], config["S3_ENDPOINT_URL"], config["S3_REGION"])
    return DirectoryStore(config["STORAGE_DIR"])


class OffsetMismatch(Exception):
    def __init__(self, received: int):
        super().__init__(f"upload has {received} bytes")
        self.received = received


SYNC_THREADS = 8  # fsyncs in flight at once for a batch of files


def _sync_file(path: Path) -> None:
    with open(path, "rb") as handle:  # the written pages belong to the file, whatever descriptor syncs them
        os.fsync(handle.fileno())


def _all_at_once(sync, paths: list[Path]) -> None:
    """Run `sync` on every path from a few threads; the first error is raised once all have ended."""
    if len(paths) < 2:
        for path in paths:
            sync(path)
        return
    with ThreadPoolExecutor(max_workers=min(SYNC_THREADS, len(paths))) as pool:
        for done in [pool.submit(sync, path) for path in paths]:
            done.result()


class DirectoryStore:
    """Files under a root directory: partial/<owner>/<sha>.part, then <sha[:2]>/<sha[2:4]>/<sha>."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        (self.root / "partial").mkdir(parents=True, exist_ok=True)

    def _partial(self, sha256: str, owner: int) -> Path:
        return self.root / "partial" / str(int(owner)) / f"{sha256}.part"

    def key(self, sha256: str) -> str:
        return content_key(sha256)

    def _final(self, sha256: str) -> Path:
        return self.root / self.key(sha256)

    def received(self, sha256: str, owner: int) -> int:
        try:
            return self._partial(sha256, owner).stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, sha256: str, offset: int, data: bytes, owner: int) -> int:
        path = self._partial(sha256, owner)
        with self._open_append(path) as handle:
            # Two retries of one chunk may race (two workers); only one may write.
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            if size != offset:
                raise OffsetMismatch(size)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            return handle.tell()

    def partial_digest(self, sha256: str, owner: int) -> str:
        digest = hashlib.sha256()
        with open(self._partial(sha256, owner), "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
        return digest.hexdigest()

    def promote(self, sha256: str, owner: int) -> str:
        final = self._final(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._partial(sha256, owner), final)  # atomic on one filesystem
        self._tidy(owner)
        self._sync_directory(final.parent)
        return self.key(sha256)

    def put_verified(self, sha256: str, data: bytes) -> str:
        final = self._final(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Written beside its place under a name of its own, then renamed: never a torn file in place.
        temporary = final.with_name(f"{final.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)  # atomic on one filesystem
        finally:
            temporary.unlink(missing_ok=True)
        self._sync_directory(final.parent)
        return self.key(sha256)

    def put_verified_many(self, files: list[tuple[str, bytes]]) -> list[str]:
        """As `put_verified` for each file, durable before this returns, but synced to disk together:
        every file is written under a name of its own, then all are fsynced at once (from threads, so
        the filesystem's journal commits them together instead of one flush after another), renamed
        into place, and their directories synced the same way. A crash leaves each file whole in
        place or not there at all, as with one file."""
        if len(files) < 2:
            return [self.put_verified(sha256, data) for sha256, data in files]
        finals = [self._final(sha256) for sha256, _ in files]
        tag = f"{os.getpid()}.{threading.get_ident()}"
        temporaries = [final.with_name(f"{final.name}.{tag}.{n}.tmp") for n, final in enumerate(finals)]
        try:
            for final, temporary, (_, data) in zip(finals, temporaries, files, strict=True):
                final.parent.mkdir(parents=True, exist_ok=True)
                with open(temporary, "wb") as handle:
                    handle.write(data)
            _all_at_once(_sync_file, temporaries)
            for temporary, final in zip(temporaries, finals, strict=True):
                os.replace(temporary, final)  # atomic on one filesystem
        finally:
            for temporary in temporaries:
                temporary.unlink(missing_ok=True)
        _all_at_once(self._sync_directory, sorted({final.parent for final in finals}))
        return [self.key(sha256) for sha256, _ in files]

    @staticmethod
    def _sync_directory(path: Path) -> None:
        directory = os.open(path, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def discard(self, sha256: str, owner: int) -> None:
        self._partial(sha256, owner).unlink(missing_ok=True)
        self._tidy(owner)

    def _tidy(self, owner: int) -> None:
        with contextlib.suppress(OSError):
            (self.root / "partial" / str(int(owner))).rmdir()  # only when empty

    @staticmethod
    def _open_append(path: Path) -> BinaryIO:
        for _ in range(3):  # the owner's directory may be tidied away between mkdir and open
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                return open(path, "ab")  # the caller closes it
        return open(path, "ab")  # the caller closes it

    @staticmethod
    def _listed(directory: Path, pattern: str) -> list[Path]:
        """The directory's entries; none when it is gone, even while it is being listed: an owner's
        directory is tidied away by a concurrent upload (promote, discard) whenever it empties."""
        try:
            return list(directory.glob(pattern))
        except FileNotFoundError:
            return []

    def partials(self) -> Iterator[PartialUpload]:
        for folder in self._listed(self.root / "partial", "*"):
            for path in self._listed(folder, "*.part"):
                try:
                    stat = path.stat()
                    owner = int(path.parent.name)
                except (FileNotFoundError, ValueError):
                    continue
                yield PartialUpload(
                    owner, path.stem, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)
                )

    def partial_bytes(self, owner: int) -> int:
        total = 0
        for path in self._listed(self.root / "partial" / str(int(owner)), "*.part"):
            with contextlib.suppress(FileNotFoundError):
                total += path.stat().st_size
        return total

    def exists(self, sha256: str) -> bool:
        return self._final(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return open(self._final(sha256), "rb")

    def open_partial(self, sha256: str, owner: int) -> BinaryIO:
        return open(self._partial(sha256, owner), "rb")

    def remove(self, sha256: str) -> None:
        self._final(sha256).unlink(missing_ok=True)
