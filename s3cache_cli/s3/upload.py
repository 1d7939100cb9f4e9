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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3.objects import OCTET_STREAM
from s3cache_cli.s3.parts import MIN_PART_SIZE, MiB, Part, part_size_for, split_parts
from s3cache_cli.s3.range_reader import RangeReader, ReadAt
from s3cache_cli.s3.retry import call_with_retries
from s3cache_cli.s3.transfer import (
    CancelToken,
    TransferListener,
    run_parallel,
)

if TYPE_CHECKING:
    from s3cache_cli.s3.client import S3Connection

log = logging.getLogger(__name__)

# BuildKit's uploader sends one PUT below 16 MiB and parts above. Read at call
# time, with MIN_PART_SIZE, so tests can force multipart on a small blob.
MULTIPART_THRESHOLD = 16 * MiB
PART_PARALLELISM = 4

BodyFor = Callable[[Part, CancelToken], RangeReader]


def needs_multipart(size: int) -> bool:
    return size >= MULTIPART_THRESHOLD


def plan_parts(size: int) -> list[Part]:
    """The parts a multipart upload of ``size`` bytes is sent in."""
    return split_parts(size, part_size_for(size, minimum=MIN_PART_SIZE))


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
        if needs_multipart(size):
            upload_multipart(conn, key, read_at, size, listener=listener, cancel=cancel)
        else:
            put_object(conn, key, read_at, size, listener=listener, cancel=cancel)
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

    def body_for(part: Part, token: CancelToken) -> RangeReader:
        return RangeReader(
            read_at, part.offset, part.length, listener=listener, cancel=token
        )

    send_parts(conn, key, plan_parts(size), body_for, cancel=cancel)


def send_parts(
    conn: S3Connection,
    key: str,
    parts: list[Part],
    body_for: BodyFor,
    *,
    cancel: CancelToken,
    before_complete: Callable[[], None] | None = None,
) -> None:
    """Send ``parts`` in parallel as one multipart upload, each part's body
    from ``body_for``; complete it once every part is up and
    ``before_complete`` has not raised, abort it otherwise."""
    upload_id = create_multipart(conn, key)

    def send(part: Part, token: CancelToken) -> dict[str, Any]:
        body = body_for(part, token)
        try:
            return upload_part(conn, key, upload_id, part, body, of=len(parts))
        finally:
            body.release()

    with aborted_on_failure(conn, key, upload_id):
        etags = run_parallel(parts, send, parallelism=PART_PARALLELISM, cancel=cancel)
        cancel.raise_if_cancelled()
        if before_complete is not None:
            before_complete()
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


def _file_reader(fd: int, path: Path) -> ReadAt:
    def read_at(offset: int, size: int) -> bytes:
        data = os.pread(fd, size, offset)
        if len(data) < size:
            raise OperationFailed(f"{path} became shorter while it was uploaded")
        return data

    return read_at
