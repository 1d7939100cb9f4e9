"""Streaming uploads: one PUT for a small blob, a multipart upload for a big one.

Bytes are read from disk while they are sent, so memory does not grow with the
blob size. Parts go up in parallel; each is retried on transient errors with
the progress of the failed attempt rolled back. A multipart upload that cannot
finish (a fatal error, a cancel, Ctrl-C) is aborted, so it leaves no parts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3.objects import OCTET_STREAM
from s3cache_cli.s3.retry import call_with_retries
from s3cache_cli.s3.transfer import (
    CancelToken,
    TransferListener,
    run_parallel,
)

if TYPE_CHECKING:
    from s3cache_cli.digest import DigestVerifier
    from s3cache_cli.s3.client import S3Connection

log = logging.getLogger(__name__)

MiB = 1024 * 1024
GiB = 1024 * MiB

# BuildKit's uploader sends one PUT below 16 MiB and 8 MiB parts above. Read
# at call time, so tests can force multipart on a small blob.
MULTIPART_THRESHOLD = 16 * MiB
MIN_PART_SIZE = 8 * MiB
MAX_PARTS = 10_000
MAX_PART_SIZE = 5 * GiB
PART_PARALLELISM = 4
# Progress is reported in steps, not per 16 KiB socket write.
PROGRESS_STEP = 256 * 1024
# The most one read returns: botocore asks for 1 MiB at a time to sign a
# body, and a dozen parts doing that at once would show in memory.
READ_LIMIT = 256 * 1024

ReadAt = Callable[[int, int], bytes]


@dataclass(frozen=True)
class Part:
    number: int  # 1-based, as S3 counts
    offset: int
    length: int


def part_size_for(size: int) -> int:
    """The smallest whole-MiB part size, at least MIN_PART_SIZE, that fits
    ``size`` bytes into MAX_PARTS parts (8 MiB up to 78 GiB, 525 MiB at 5 TiB)."""
    needed = -(-size // MAX_PARTS)
    whole_mib = -(-needed // MiB) * MiB
    return max(MIN_PART_SIZE, whole_mib)


def split_parts(size: int, part_size: int) -> list[Part]:
    offsets = range(0, size, part_size)
    return [
        Part(number, offset, min(part_size, size - offset))
        for number, offset in enumerate(offsets, start=1)
    ]


def upload_file(
    conn: S3Connection,
    key: str,
    path: Path,
    size: int,
    *,
    listener: TransferListener,
    cancel: CancelToken,
) -> None:
    """Upload the first ``size`` bytes of ``path``; the caller checked the file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        read_at = _file_reader(fd, path)
        if size < MULTIPART_THRESHOLD:
            put_object(conn, key, read_at, size, listener=listener, cancel=cancel)
        else:
            upload_multipart(conn, key, read_at, size, listener=listener, cancel=cancel)
    finally:
        os.close(fd)


def put_object(
    conn: S3Connection,
    key: str,
    read_at: ReadAt,
    size: int,
    *,
    listener: TransferListener,
    cancel: CancelToken,
) -> None:
    """One PUT, retried as a whole on transient errors."""
    body = RangeReader(read_at, 0, size, listener=listener, cancel=cancel)

    def send() -> None:
        conn.client.put_object(
            Bucket=conn.bucket,
            Key=key,
            Body=body,
            ContentLength=size,
            ContentType=OCTET_STREAM,
        )

    call_with_retries(
        conn.bucket, key, send, what=f"upload of {key}", before_retry=body.rewind
    )
    log.debug("put s3://%s/%s (%d bytes)", conn.bucket, key, size)


def upload_multipart(
    conn: S3Connection,
    key: str,
    read_at: ReadAt,
    size: int,
    *,
    listener: TransferListener,
    cancel: CancelToken,
) -> None:
    """A multipart upload with parts in parallel; aborted unless it completes."""
    parts = split_parts(size, part_size_for(size))
    upload_id = create_multipart(conn, key)

    def send(part: Part, token: CancelToken) -> dict[str, Any]:
        reader = RangeReader(
            read_at, part.offset, part.length, listener=listener, cancel=token
        )
        return upload_part(conn, key, upload_id, part, reader, of=len(parts))

    with aborted_on_failure(conn, key, upload_id):
        etags = run_parallel(parts, send, parallelism=PART_PARALLELISM, cancel=cancel)
        cancel.raise_if_cancelled()
        complete_multipart(conn, key, upload_id, etags)


def create_multipart(
    conn: S3Connection, key: str, metadata: dict[str, str] | None = None
) -> str:
    def create() -> dict[str, Any]:
        return conn.client.create_multipart_upload(
            Bucket=conn.bucket,
            Key=key,
            ContentType=OCTET_STREAM,
            Metadata=metadata or {},
        )

    response = call_with_retries(
        conn.bucket, key, create, what=f"start of upload {key}"
    )
    log.debug("multipart upload of %s started: %s", key, response["UploadId"])
    return response["UploadId"]


def upload_part(
    conn: S3Connection,
    key: str,
    upload_id: str,
    part: Part,
    body: RangeReader,
    *,
    of: int,
) -> dict[str, Any]:
    """Send one part (retried on transient errors); its entry for Complete."""

    def send() -> dict[str, Any]:
        return conn.client.upload_part(
            Bucket=conn.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=part.number,
            Body=body,
            ContentLength=part.length,
        )

    what = f"{key} part {part.number}/{of}"
    response = call_with_retries(
        conn.bucket, key, send, what=what, before_retry=body.rewind
    )
    return {"PartNumber": part.number, "ETag": response["ETag"]}


def complete_multipart(
    conn: S3Connection, key: str, upload_id: str, parts: list[dict[str, Any]]
) -> None:
    def complete() -> None:
        conn.client.complete_multipart_upload(
            Bucket=conn.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )

    call_with_retries(conn.bucket, key, complete, what=f"completion of {key}")
    log.debug("multipart upload of %s complete: %d parts", key, len(parts))


@contextmanager
def aborted_on_failure(conn: S3Connection, key: str, upload_id: str) -> Iterator[None]:
    """Abort the multipart upload when the block raises, Ctrl-C included."""
    try:
        yield
    except BaseException:
        abort_multipart(conn, key, upload_id)
        raise


def abort_multipart(conn: S3Connection, key: str, upload_id: str) -> None:
    """Best effort: a failed abort leaves parts that ``prune`` can remove."""
    try:
        conn.client.abort_multipart_upload(
            Bucket=conn.bucket, Key=key, UploadId=upload_id
        )
        log.debug("multipart upload of %s aborted", key)
    except Exception as error:
        # The failure that made us abort is the one to report, not this one.
        log.debug("could not abort upload %s of %s: %s", upload_id, key, error)


def upload_verified_stream(
    conn: S3Connection,
    key: str,
    read: Callable[[int], bytes],
    size: int,
    *,
    verifier: DigestVerifier,
    what: str,
    listener: TransferListener,
    cancel: CancelToken,
) -> None:
    """Upload bytes from a stream; publish them only if they match ``verifier``.

    A small blob is read whole into memory and checked before its PUT. A big
    one goes part by part and is completed only after the digest checks out.
    """
    if size >= MULTIPART_THRESHOLD:
        _upload_verified_parts(conn, key, read, size, verifier, what, listener, cancel)
        return

    data = _read_part(read, size, verifier, cancel)
    verifier.check(what)
    put_object(conn, key, _bytes_reader(data), size, listener=listener, cancel=cancel)


def _upload_verified_parts(
    conn: S3Connection,
    key: str,
    read: Callable[[int], bytes],
    size: int,
    verifier: DigestVerifier,
    what: str,
    listener: TransferListener,
    cancel: CancelToken,
) -> None:
    # TODO: parts go one at a time, each held in memory, because the digest
    # needs the bytes in order. Ranged reads in parallel, hashed in order as
    # they arrive, would speed up big copies between endpoints.
    parts = split_parts(size, part_size_for(size))
    upload_id = create_multipart(conn, key)
    with aborted_on_failure(conn, key, upload_id):
        etags = []
        for part in parts:
            data = _read_part(read, part.length, verifier, cancel)
            body = RangeReader(
                _bytes_reader(data), 0, part.length, listener=listener, cancel=cancel
            )
            etags.append(upload_part(conn, key, upload_id, part, body, of=len(parts)))

        verifier.check(what)
        cancel.raise_if_cancelled()
        complete_multipart(conn, key, upload_id, etags)


class RangeReader:
    """``length`` bytes from ``offset`` as a seekable file for botocore.

    Progress follows the read position: reading reports bytes, seeking back
    takes them back. botocore reads the body once to sign it (plain HTTP) and
    seeks back, and rewinds it before its own retries, so what the listener
    ends up with is exactly what was sent.

    Every caller checks the bytes against the blob's digest before they are
    published (before the PUT, or before the multipart upload completes), so
    the client sends them without hashing them again to sign them.
    """

    checked_against_digest = True

    def __init__(
        self,
        read_at: ReadAt,
        offset: int,
        length: int,
        *,
        listener: TransferListener,
        cancel: CancelToken,
    ) -> None:
        self._read_at = read_at
        self._offset = offset
        self._length = length
        self._listener = listener
        self._cancel = cancel
        self._position = 0
        self._reported = 0

    def __len__(self) -> int:
        return self._length - self._position

    def read(self, size: int | None = -1) -> bytes:
        self._cancel.raise_if_cancelled()
        remaining = self._length - self._position
        if size is None or size < 0:
            size = remaining
        else:
            # A short read is allowed to a caller that names a size.
            size = min(size, remaining, READ_LIMIT)
        data = self._read_at(self._offset + self._position, size)
        self._position += len(data)
        self._report()
        return data

    def seek(self, position: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._length}
        self._position = min(max(0, base[whence] + position), self._length)
        self._report(force=True)
        return self._position

    def tell(self) -> int:
        return self._position

    def rewind(self) -> None:
        self.seek(0)

    def _report(self, *, force: bool = False) -> None:
        delta = self._position - self._reported
        at_end = self._position == self._length
        if delta and (force or at_end or abs(delta) >= PROGRESS_STEP):
            self._listener.advanced(delta)
            self._reported = self._position


def _file_reader(fd: int, path: Path) -> ReadAt:
    def read_at(offset: int, size: int) -> bytes:
        data = os.pread(fd, size, offset)
        if len(data) < size:
            raise OperationFailed(f"{path} became shorter while it was uploaded")
        return data

    return read_at


def _bytes_reader(data: bytes) -> ReadAt:
    view = memoryview(data)
    return lambda offset, size: bytes(view[offset : offset + size])


def _read_part(
    read: Callable[[int], bytes],
    size: int,
    verifier: DigestVerifier,
    cancel: CancelToken,
) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        cancel.raise_if_cancelled()
        chunk = read(min(remaining, MiB))
        if not chunk:
            raise OperationFailed(f"the source ended {remaining} bytes early")
        verifier.update(chunk)
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
