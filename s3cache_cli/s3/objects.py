"""Single-object operations every command needs: HEAD, small GET and PUT.

Blobs are streamed by the transfer modules; these are for manifests and
existence checks. Each call is retried on transient errors and translates
the last one into an ``S3CacheError``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3.errors import error_code
from s3cache_cli.s3.retry import call_with_retries

if TYPE_CHECKING:
    from s3cache_cli.s3.client import S3Connection

log = logging.getLogger(__name__)

# A cache manifest lists layers and records; even huge builds stay far below
# this. Anything larger is refused before it is read into memory.
MANIFEST_SIZE_LIMIT = 64 * 1024 * 1024
OCTET_STREAM = "application/octet-stream"
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    last_modified: datetime


def head(conn: S3Connection, key: str) -> ObjectInfo | None:
    """The object's size, ETag and age, or None when it does not exist."""

    def ask() -> ObjectInfo | None:
        response = _call_unless_missing(conn, key, conn.client.head_object)
        return None if response is None else _info(key, response)

    return call_with_retries(conn.bucket, key, ask, what=f"HEAD {key}")


def get_small(
    conn: S3Connection, key: str, *, limit: int = MANIFEST_SIZE_LIMIT
) -> tuple[bytes, ObjectInfo] | None:
    """The whole body of a small object, or None when it does not exist.

    An object over ``limit`` bytes is refused without reading its body; a
    body that breaks off is read again.
    """
    return call_with_retries(
        conn.bucket, key, lambda: _read(conn, key, limit), what=f"read of {key}"
    )


def put_small(conn: S3Connection, key: str, data: bytes) -> None:
    def put() -> None:
        conn.client.put_object(
            Bucket=conn.bucket, Key=key, Body=data, ContentType=OCTET_STREAM
        )

    call_with_retries(conn.bucket, key, put, what=f"PUT {key}")
    log.debug("put s3://%s/%s (%d bytes)", conn.bucket, key, len(data))


def _call_unless_missing(
    conn: S3Connection, key: str, operation: Callable[..., dict]
) -> dict | None:
    """``operation(Bucket=, Key=)``; None for a missing key. Other errors go
    to the retry policy, which names them when it gives up."""
    import botocore.exceptions

    try:
        return operation(Bucket=conn.bucket, Key=key)
    except botocore.exceptions.ClientError as error:
        if error_code(error) in _MISSING_CODES:
            return None
        raise


def _read(conn: S3Connection, key: str, limit: int) -> tuple[bytes, ObjectInfo] | None:
    response = _call_unless_missing(conn, key, conn.client.get_object)
    if response is None:
        return None

    info = _info(key, response)
    body = response["Body"]
    try:
        if info.size > limit:
            raise OperationFailed(
                f"s3://{conn.bucket}/{key} is {info.size} bytes; a cache manifest "
                f"over {limit} bytes is refused"
            )
        data = _read_exactly(body, info.size)
    finally:
        body.close()
    return data, info


def _read_exactly(body: Any, size: int) -> bytes:
    import botocore.exceptions

    data = body.read()
    if len(data) != size:
        raise botocore.exceptions.IncompleteReadError(
            actual_bytes=len(data), expected_bytes=size
        )
    return data


def _info(key: str, response: dict) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=int(response.get("ContentLength", 0)),
        etag=str(response.get("ETag", "")),
        last_modified=response["LastModified"],
    )
