"""Which blobs the destination already holds, from a listing.

One ListObjectsV2 page answers for up to 1,000 blobs where HEAD takes a
request each, so a re-export of a few hundred blobs costs one request
instead of hundreds. A listing reads every key under the blobs prefix,
other caches' blobs included, so it stops after a budget of pages that
grows with the number of blobs wanted; a key past the last one listed is
left to HEAD. Credentials that may not list get a HEAD for every blob, as
BuildKit does.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from s3cache_cli.s3.objects import ObjectInfo

if TYPE_CHECKING:
    from s3cache_cli.s3.client import S3Connection

log = logging.getLogger(__name__)

# One page is allowed for this many wanted blobs: a page costs about as much
# as a few HEADs, and in a bucket shared by many caches it may list none of
# the blobs wanted.
BLOBS_PER_PAGE_BUDGET = 250
# The most keys S3 returns in one page.
PAGE_SIZE = 1000


@dataclass(frozen=True)
class Listing:
    """What a listing saw: every key up to ``seen_up_to`` (all keys when
    ``complete``); ``listed`` is False when the listing was refused."""

    found: dict[str, ObjectInfo] = field(default_factory=dict)
    seen_up_to: str | None = None
    complete: bool = False
    listed: bool = False

    def knows(self, key: str) -> bool:
        """Whether the listing settles if ``key`` exists (S3 lists in key order)."""
        if self.complete:
            return True
        return self.seen_up_to is not None and key <= self.seen_up_to

    def get(self, key: str) -> ObjectInfo | None:
        return self.found.get(key)


def page_budget(wanted: int) -> int:
    return max(1, -(-wanted // BLOBS_PER_PAGE_BUDGET))


def list_blobs(conn: S3Connection, wanted: Collection[str]) -> Listing:
    """List the blobs prefix of ``conn``, keeping what ``wanted`` names."""
    import botocore.exceptions as bce

    from s3cache_cli.s3.errors import error_code, translate

    try:
        return _list(conn, set(wanted), page_budget(len(wanted)))
    except bce.ClientError as error:
        if error_code(error) not in ("AccessDenied", "403"):
            raise translate(error, bucket=conn.bucket) from error
        log.debug("cannot list s3://%s; HEAD for every blob", conn.bucket)
        return Listing()
    except bce.BotoCoreError as error:
        raise translate(error, bucket=conn.bucket) from error


def _list(conn: S3Connection, wanted: set[str], budget: int) -> Listing:
    found: dict[str, ObjectInfo] = {}
    request: dict[str, Any] = {
        "Bucket": conn.bucket,
        "Prefix": conn.spec.blobs_root,
        "MaxKeys": PAGE_SIZE,
    }
    last_key = None
    for _ in range(budget):
        page = conn.client.list_objects_v2(**request)
        for item in page.get("Contents", ()):
            last_key = item["Key"]
            if last_key in wanted:
                found[last_key] = _info(item)

        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return Listing(found, last_key, complete=True, listed=True)
        request["ContinuationToken"] = token

    log.debug("listing stopped after %d pages at %s", budget, last_key)
    return Listing(found, last_key, complete=False, listed=True)


def _info(item: dict[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        key=item["Key"],
        size=int(item.get("Size", 0)),
        etag=str(item.get("ETag", "")),
        last_modified=item["LastModified"],
    )
