"""Copies that stay on the server: touching a blob, copying a cache's blobs.

CopyObject takes objects below 5 GiB; anything bigger is copied with a
multipart upload whose parts are UploadPartCopy ranges. A touch is a copy of
an object onto itself with fresh metadata, which resets its LastModified
(buckets expire blobs not modified for N days). Between two endpoints, or
two sets of credentials, no server can copy: see ``stream_copy``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3.client import is_aws_endpoint
from s3cache_cli.s3.errors import error_code
from s3cache_cli.s3.objects import OCTET_STREAM
from s3cache_cli.s3.parts import GiB, MiB, Part, split_parts
from s3cache_cli.s3.retry import call_with_retries
from s3cache_cli.s3.transfer import CancelToken, run_parallel
from s3cache_cli.s3.upload import (
    aborted_on_failure,
    complete_multipart,
    create_multipart,
)

if TYPE_CHECKING:
    from s3cache_cli.s3.client import S3Connection

log = logging.getLogger(__name__)

# The largest object one CopyObject accepts; above it, a multipart copy.
COPY_LIMIT = 5 * GiB
COPY_PART_SIZE = 512 * MiB
COPY_PARALLELISM = 4
TOUCH_METADATA_KEY = "updated-at"
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


class BlobGone(OperationFailed):
    """The object a touch copies onto itself was deleted since it was seen."""


def touch(conn: S3Connection, key: str, size: int, *, cancel: CancelToken) -> None:
    """Reset ``key``'s LastModified by copying it onto itself, as BuildKit does.

    Raises BlobGone when the object is no longer there: a prune may delete a
    blob between the HEAD that found it and this copy.
    """
    metadata = {TOUCH_METADATA_KEY: _now()}
    try:
        copy_within(conn, conn.bucket, key, key, size, metadata=metadata, cancel=cancel)
    except OperationFailed as error:
        if not _says_missing(error):
            raise
        raise BlobGone(
            f"s3://{conn.bucket}/{key} was deleted before it could be touched"
        ) from error

    log.debug("touched s3://%s/%s", conn.bucket, key)


def copy_within(
    conn: S3Connection,
    source_bucket: str,
    source_key: str,
    key: str,
    size: int,
    *,
    metadata: dict[str, str] | None = None,
    cancel: CancelToken,
) -> None:
    """Server-side copy into ``conn``'s bucket; user metadata is replaced."""
    # TODO: the copy is not hashed, so a damaged source blob is copied as it
    # is; CopyObject with ChecksumAlgorithm=SHA256 returns the store's SHA-256
    # of a single-part copy, which could be compared with the blob's digest
    # where the store supports it.
    source = {"Bucket": source_bucket, "Key": source_key}
    if size < COPY_LIMIT:
        _copy_object(conn, source, key, metadata or {})
    else:
        _multipart_copy(conn, source, key, size, metadata or {}, cancel)


def same_endpoint(source: S3Connection, dest: S3Connection) -> bool:
    """Whether one CopyObject can read ``source`` and write ``dest``: the same
    endpoint (or both AWS in one region) and the same credentials."""
    if is_aws_endpoint(source.endpoint_url) and is_aws_endpoint(dest.endpoint_url):
        same_place = source.spec.region == dest.spec.region
    else:
        same_place = _normalized(source.endpoint_url) == _normalized(dest.endpoint_url)
    return same_place and _credentials(source) == _credentials(dest)


def _copy_object(
    conn: S3Connection, source: dict[str, str], key: str, metadata: dict[str, str]
) -> None:
    def copy() -> Any:
        return conn.client.copy_object(
            Bucket=conn.bucket,
            Key=key,
            CopySource=source,
            MetadataDirective="REPLACE",
            Metadata=metadata,
            ContentType=OCTET_STREAM,
        )

    # A failed copy is nearly always about its source: missing, or not readable.
    call_with_retries(source["Bucket"], source["Key"], copy, what=f"copy to {key}")


def _multipart_copy(
    conn: S3Connection,
    source: dict[str, str],
    key: str,
    size: int,
    metadata: dict[str, str],
    cancel: CancelToken,
) -> None:
    parts = split_parts(size, COPY_PART_SIZE)
    upload_id = create_multipart(conn, key, metadata)
    # A failed part stops the other parts only: the caller decides whether
    # the other blobs stop too (a touch of a deleted blob becomes an upload).
    parts_cancel = CancelToken()

    def copy_part(part: Part, token: CancelToken) -> dict[str, Any]:
        cancel.raise_if_cancelled()
        return _upload_part_copy(conn, source, key, upload_id, part)

    with aborted_on_failure(conn, key, upload_id):
        etags = run_parallel(
            parts, copy_part, parallelism=COPY_PARALLELISM, cancel=parts_cancel
        )
        cancel.raise_if_cancelled()
        complete_multipart(conn, key, upload_id, etags)
    log.debug("copied %s to %s in %d parts", source["Key"], key, len(parts))


def _upload_part_copy(
    conn: S3Connection,
    source: dict[str, str],
    key: str,
    upload_id: str,
    part: Part,
) -> dict[str, Any]:
    last_byte = part.offset + part.length - 1

    def copy() -> Any:
        return conn.client.upload_part_copy(
            Bucket=conn.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=part.number,
            CopySource=source,
            CopySourceRange=f"bytes={part.offset}-{last_byte}",
        )

    what = f"{key} part {part.number}"
    response = call_with_retries(source["Bucket"], source["Key"], copy, what=what)
    return {"PartNumber": part.number, "ETag": response["CopyPartResult"]["ETag"]}


def _says_missing(error: BaseException) -> bool:
    """Whether S3 answered that the object does not exist."""
    cause = error.__cause__
    return cause is not None and error_code(cause) in _MISSING_CODES


def _credentials(conn: S3Connection) -> tuple[str | None, ...] | None:
    """The explicit credentials of the spec, or None for the AWS chain."""
    spec = conn.spec
    if spec.access_key_id and spec.secret_access_key:
        return (spec.access_key_id, spec.secret_access_key, spec.session_token)
    return None


def _normalized(endpoint_url: str | None) -> str:
    return (endpoint_url or "").rstrip("/").lower()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
