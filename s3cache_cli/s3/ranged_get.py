"""GETs of a blob or a byte range of it, checked against the size the manifest
gives before a byte is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3.errors import error_code, translate
from s3cache_cli.s3.retry import is_transient

if TYPE_CHECKING:
    from s3cache_cli.digest import Digest
    from s3cache_cli.s3.client import S3Connection

_SIZE_HINT = "the blob in S3 is damaged or was replaced; export the cache again"


class BlobSizeMismatch(OperationFailed):
    """S3 holds an object of another size than the manifest says.

    Not an ``IntegrityError``: asking again cannot change the answer, so the
    retry policy must not spend its attempts on it.
    """


@dataclass(frozen=True)
class StoredBlob:
    """A blob in S3: its key, and what the manifest says it hashes to."""

    key: str
    digest: Digest
    size: int


@dataclass(frozen=True)
class RangeResponse:
    body: Any
    etag: str


def get_range(
    conn: S3Connection, blob: StoredBlob, *, start: int, end: int
) -> RangeResponse:
    """GET bytes [start, end) of ``blob``; the whole object without a Range.

    A transient error is raised as it is, for the caller's retries; any other
    becomes an S3CacheError.
    """
    request = {"Bucket": conn.bucket, "Key": blob.key}
    if not (start == 0 and end == blob.size):
        request["Range"] = f"bytes={start}-{end - 1}"

    try:
        response = conn.client.get_object(**request)
    except Exception as error:
        raise _request_error(conn, blob, error) from error

    _check_response(conn, blob, response, start=start, end=end)
    return RangeResponse(response["Body"], str(response.get("ETag", "")))


def body_ended(*, expected: int, got: int) -> Exception:
    """The error for a body that stopped early: transient, so it is retried."""
    import botocore.exceptions

    return botocore.exceptions.IncompleteReadError(
        actual_bytes=got, expected_bytes=expected
    )


def _request_error(conn: S3Connection, blob: StoredBlob, error: Exception) -> Exception:
    if error_code(error) == "InvalidRange":
        return BlobSizeMismatch(
            f"{_url(conn, blob)} is smaller than the {blob.size} "
            f"bytes the manifest gives {blob.digest}",
            hint=_SIZE_HINT,
        )
    if is_transient(error):
        return error

    return translate(error, bucket=conn.bucket, key=blob.key)


def _check_response(
    conn: S3Connection, blob: StoredBlob, response: dict, *, start: int, end: int
) -> None:
    what = _url(conn, blob)
    total = _object_size(response)
    if total != blob.size:
        response["Body"].close()
        raise BlobSizeMismatch(
            f"{what} is {total} bytes, but the manifest gives {blob.digest} "
            f"{blob.size} bytes",
            hint=_SIZE_HINT,
        )

    length = int(response.get("ContentLength", -1))
    if length != end - start:
        response["Body"].close()
        raise OperationFailed(
            f"asked for bytes {start}-{end - 1} of {what}, got {length} bytes",
            hint="the S3 server may not support Range requests",
        )


def _object_size(response: dict) -> int:
    """The whole object's size, from Content-Range when the GET was ranged."""
    content_range = response.get("ContentRange")
    if content_range:
        return int(str(content_range).rpartition("/")[2])

    return int(response.get("ContentLength", -1))


def _url(conn: S3Connection, blob: StoredBlob) -> str:
    return f"s3://{conn.bucket}/{blob.key}"
