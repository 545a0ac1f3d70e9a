"""Attachment bytes in an S3-compatible bucket (boto3), behind the same AttachmentStore interface.

Nothing lives on a node's disk, so any app node sharing the bucket can take the next chunk of an
upload another node started:

- a partial upload is one object per chunk, ``partial/<owner>/<sha>/<offset>`` (the offset in 12
  zero-padded digits, so the keys list in byte order). What has been received is the chain of
  chunks that follow each other from 0. A chunk is written only where the chain ends, with
  ``If-None-Match: *``: of two requests racing to write at the same offset (two retries of one
  chunk, on one node or two) exactly one wins and the other gets ``OffsetMismatch``, as the
  directory store's file lock does on one machine.
- verified bytes are one object under the same key the directory store uses
  (``<sha[:2]>/<sha[2:4]>/<sha>``), written whole by one PUT carrying its SHA-256 (the server
  checks it), so a reader never sees half a file; the chunks are deleted afterwards. A crash in
  between leaves the final object and stray chunks: the upload path recovers the first
  (``exists``) and the chunks expire like any unfinished upload.
- an unfinished upload's age is its newest chunk's ``LastModified`` (the bucket's clock).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import BinaryIO, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from sync.storage import OffsetMismatch, PartialUpload, content_key

SPOOL_BYTES = 1 << 20  # an assembled partial upload larger than this goes to a temporary file
READ_BLOCK = 1 << 16
MISSING = {"NoSuchKey", "404", "NotFound"}
LOST_RACE = {"PreconditionFailed", "412", "ConditionalRequestConflict"}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class _ObjectReader(io.RawIOBase):
    """A seekable, streaming view of one object: reads come from one ranged GET that is kept open
    while the reader moves forward; a seek elsewhere starts a new one. Nothing is read whole."""

    def __init__(self, client, bucket: str, key: str):
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if _code(error) in MISSING:
                raise FileNotFoundError(key) from None
            raise
        self._size, self._etag = int(head["ContentLength"]), head.get("ETag")
        self._pos, self._body = 0, None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self._pos + offset, io.SEEK_END: self._size + offset}[
            whence
        ]
        if target < 0:
            raise ValueError("negative seek position")
        if target != self._pos:
            self._drop()
            self._pos = target
        return self._pos

    def readinto(self, buffer) -> int:
        if self._pos >= self._size:
            return 0
        if self._body is None:
            extra = {"IfMatch": self._etag} if self._etag else {}
            try:
                self._body = self._client.get_object(
                    Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-", **extra
                )["Body"]
            except ClientError as error:
                if _code(error) in MISSING:
                    raise FileNotFoundError(self._key) from None
                raise
        assert self._body is not None  # opened just above
        data = self._body.read(len(buffer))
        if not data:
            raise OSError(f"{self._key}: the object ended at {self._pos} of {self._size} bytes")
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()


class S3Store:
    """Verified files and partial uploads in one bucket (see the module's docstring)."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None):
        self.bucket, self.endpoint_url, self.region = bucket, endpoint_url, region
        self._clients: dict[int, object] = {}  # per process: a client made before a fork is not reused
        self._lock = threading.Lock()

    @property
    def client(self):
        pid = os.getpid()
        client = self._clients.get(pid)
        if client is None:
            with self._lock:
                client = self._clients.get(pid)
                if client is None:
                    # Credentials come from the standard AWS variables (or instance roles), never from us.
                    client = boto3.session.Session().client(
                        "s3",
                        endpoint_url=self.endpoint_url,
                        region_name=self.region,
                        config=Config(
                            connect_timeout=5,
                            read_timeout=30,
                            retries={"max_attempts": 4, "mode": "standard"},
                        ),
                    )
                    self._clients = {pid: client}
        return client

    # Names ---------------------------------------------------------------------------------------

    def key(self, sha256: str) -> str:
        return content_key(sha256)

    @staticmethod
    def _prefix(sha256: str, owner: int) -> str:
        return f"partial/{int(owner)}/{sha256}/"

    def _list(self, prefix: str) -> Iterator[dict]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            yield from page.get("Contents", [])

    def _chain(self, sha256: str, owner: int) -> list[tuple[int, str, int]]:
        """(offset, key, size) of the chunks that follow each other from byte 0."""
        prefix = self._prefix(sha256, owner)
        chunks = {}
        for entry in self._list(prefix):
            tail = entry["Key"][len(prefix) :]
            if tail.isdigit():
                chunks[int(tail)] = (entry["Key"], int(entry["Size"]))
        chain, end = [], 0
        while end in chunks and chunks[end][1] > 0:
            key, size = chunks[end]
            chain.append((end, key, size))
            end += size
        return chain

    # Partial uploads -------------------------------------------------------------------------------

    def received(self, sha256: str, owner: int) -> int:
        chain = self._chain(sha256, owner)
        return chain[-1][0] + chain[-1][2] if chain else 0

    def append(self, sha256: str, offset: int, data: bytes, owner: int) -> int:
        size = self.received(sha256, owner)
        if size != offset:
            raise OffsetMismatch(size)
        if not data:
            return size
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=f"{self._prefix(sha256, owner)}{offset:012d}",
                Body=data,
                IfNoneMatch="*",
            )
        except ClientError as error:
            if _code(error) in LOST_RACE:  # another request wrote this offset first
                raise OffsetMismatch(self.received(sha256, owner)) from None
            raise
        return offset + len(data)

    def _read_chunks(self, chain) -> Iterator[tuple[int, bytes]]:
        for offset, key, _ in chain:
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            except ClientError as error:
                if _code(error) in MISSING:  # finished or discarded by a concurrent request
                    raise FileNotFoundError(key) from None
                raise
            with body:
                position = offset
                for block in iter(functools.partial(body.read, READ_BLOCK), b""):
                    yield position, block
                    position += len(block)

    def _assemble(self, sha256: str, owner: int, until_digest: bool = False) -> tuple[BinaryIO, int]:
        """The partial upload copied into a temporary spool (memory, then disk above SPOOL_BYTES).
        With `until_digest`, only the leading chunks whose bytes hash to `sha256`."""
        chain = self._chain(sha256, owner)
        if not chain:
            raise FileNotFoundError(self._prefix(sha256, owner))
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the caller closes it)
        digest = hashlib.sha256()
        ends = {offset + size for offset, _, size in chain}
        matched = None
        try:
            for position, block in self._read_chunks(chain):
                spool.write(block)
                digest.update(block)
                if until_digest and position + len(block) in ends and digest.copy().hexdigest() == sha256:
                    matched = position + len(block)
                    break
            if until_digest and matched is None:
                raise FileNotFoundError(
                    f"{self._prefix(sha256, owner)}: the chunks no longer hash to the name"
                )
            size = spool.tell()
            spool.seek(0)
            return cast(BinaryIO, spool), size
        except BaseException:
            spool.close()
            raise

    def partial_digest(self, sha256: str, owner: int) -> str:
        chain = self._chain(sha256, owner)
        if not chain:
            raise FileNotFoundError(self._prefix(sha256, owner))
        digest = hashlib.sha256()
        for _, block in self._read_chunks(chain):
            digest.update(block)
        return digest.hexdigest()

    def open_partial(self, sha256: str, owner: int) -> BinaryIO:
        return self._assemble(sha256, owner)[0]

    def promote(self, sha256: str, owner: int) -> str:
        key = self.key(sha256)
        spool, size = self._assemble(sha256, owner, until_digest=True)
        with spool:
            checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=spool, ContentLength=size, ChecksumSHA256=checksum
            )
        self.discard(sha256, owner)
        return key

    def put_verified(self, sha256: str, data: bytes) -> str:
        key = self.key(sha256)
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ChecksumSHA256=checksum)
        return key

    def put_verified_many(self, files: list[tuple[str, bytes]]) -> list[str]:
        return [self.put_verified(sha256, data) for sha256, data in files]

    def discard(self, sha256: str, owner: int) -> None:
        self._delete([entry["Key"] for entry in self._list(self._prefix(sha256, owner))])

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True},
            )

    def partials(self) -> Iterator[PartialUpload]:
        found: dict[tuple[int, str], list] = {}
        for entry in self._list("partial/"):
            parts = entry["Key"].split("/")
            if len(parts) != 4 or not parts[1].isdigit() or not parts[3].isdigit():
                continue
            size, modified = found.setdefault((int(parts[1]), parts[2]), [0, entry["LastModified"]])
            found[(int(parts[1]), parts[2])] = [
                size + int(entry["Size"]),
                max(modified, entry["LastModified"]),
            ]
        for (owner, sha256), (size, modified) in found.items():
            yield PartialUpload(owner, sha256, size, modified)

    def partial_bytes(self, owner: int) -> int:
        return sum(int(entry["Size"]) for entry in self._list(f"partial/{int(owner)}/"))

    # Verified files --------------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _code(error) in MISSING:
                return False
            raise
        return True

    def open(self, sha256: str) -> BinaryIO:
        return io.BufferedReader(_ObjectReader(self.client, self.bucket, self.key(sha256)), READ_BLOCK)

    def remove(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
