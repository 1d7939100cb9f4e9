"""Single-object operations every command needs: HEAD, small GET and PUT.

Blobs are streamed by the transfer modules; these are for manifests and
existence checks. Each call is retried on transient errors and translates
the last one into an ``S3CacheError``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import IntegrityError, OperationFailed
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
_MD5_ETAG = re.compile(r"[0-9a-f]{32}")
# A store whose ETags are not MD5s: a body counts once two reads agree.
READS_TO_AGREE = 3


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

    An object over ``limit`` bytes is refused without reading its body. A
    body that breaks off is read again, and so is one that fails its check
    (see ``_read_checked``): a manifest has no digest of its own to catch a
    damaged byte with.
    """
    previous: tuple[bytes, ObjectInfo] | None = None
    for _ in range(READS_TO_AGREE):
        found = call_with_retries(
            conn.bucket,
            key,
            lambda: _read_checked(conn, key, limit),
            what=f"read of {key}",
        )
        if found is None:
            return None
        data, info, checked = found
        if checked or previous == (data, info):
            return data, info
        previous = data, info

    raise IntegrityError(
        f"s3://{conn.bucket}/{key} read differently {READS_TO_AGREE} times",
        hint="the network or a proxy on the way damages data; try again later",
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


def _read_checked(
    conn: S3Connection, key: str, limit: int
) -> tuple[bytes, ObjectInfo, bool] | None:
    """One GET: the body, what S3 says about it, and whether it was checked.

    Where the ETag must be the body's MD5 (one PUT, no server-side
    encryption: AWS and the stores that copy it) a mismatch is damage,
    raised to be retried. Elsewhere the caller reads until two reads agree.
    """
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
    return data, info, _md5_matches(data, response, f"s3://{conn.bucket}/{key}")


def _read_exactly(body: Any, size: int) -> bytes:
    import botocore.exceptions

    data = body.read()
    if len(data) != size:
        raise botocore.exceptions.IncompleteReadError(
            actual_bytes=len(data), expected_bytes=size
        )
    return data


def _md5_matches(data: bytes, response: dict, what: str) -> bool:
    """True when the ETag is the MD5 of ``data``; raises when it must be and
    is not; False when the store's ETag may be something else."""
    etag = str(response.get("ETag", "")).strip('"')
    if hashlib.md5(data, usedforsecurity=False).hexdigest() == etag:
        return True

    encrypted = response.get("ServerSideEncryption") or response.get(
        "SSECustomerAlgorithm"
    )
    if _MD5_ETAG.fullmatch(etag) and not encrypted:
        raise IntegrityError(f"{what} does not match its ETag: damaged on the way")
    return False


def _info(key: str, response: dict) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=int(response.get("ContentLength", 0)),
        etag=str(response.get("ETag", "")),
        last_modified=response["LastModified"],
    )
