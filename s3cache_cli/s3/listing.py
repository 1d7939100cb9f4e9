"""Listings, page by page, each page retried on its own.

botocore's paginators stop at the first page that fails for good, and a
listing of a big bucket is thousands of requests: one broken connection
must not throw the pages already read away. So each page is asked for with
the retry policy, and the next one starts from the marker of the last.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3.retry import call_with_retries

if TYPE_CHECKING:
    from s3cache_cli.s3.client import S3Connection

# For each listing: which fields of a page say where the next one starts,
# and the request parameter each goes into.
_MARKERS = {
    "list_objects_v2": (("NextContinuationToken", "ContinuationToken"),),
    "list_multipart_uploads": (
        ("NextKeyMarker", "KeyMarker"),
        ("NextUploadIdMarker", "UploadIdMarker"),
    ),
    "list_parts": (("NextPartNumberMarker", "PartNumberMarker"),),
}


def pages(
    conn: S3Connection, operation: str, *, where: str | None, **params: Any
) -> Iterator[dict[str, Any]]:
    """Every page of ``operation`` (a key of ``_MARKERS``) on ``conn``'s bucket.

    ``where`` names the prefix or key in the error when a page fails for good.
    """
    params = {"Bucket": conn.bucket, **params}
    while True:
        page = _page(conn, operation, params, where)
        yield page

        if not page.get("IsTruncated"):
            return
        params = {**params, **_next_markers(operation, page, where)}


def _page(
    conn: S3Connection, operation: str, params: dict[str, Any], where: str | None
) -> dict[str, Any]:
    request = getattr(conn.client, operation)
    return call_with_retries(
        conn.bucket,
        where,
        lambda: request(**params),
        what=f"{operation} page of {where or conn.bucket}",
    )


def _next_markers(
    operation: str, page: dict[str, Any], where: str | None
) -> dict[str, Any]:
    markers = {
        parameter: page[field]
        for field, parameter in _MARKERS[operation]
        if page.get(field) is not None
    }
    if not markers:
        # A truncated page with nothing to continue from would loop forever.
        raise OperationFailed(
            f"S3 cut the listing of {where} short and said not where to go on"
        )
    return markers
