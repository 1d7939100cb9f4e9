"""Copies between two endpoints, or two sets of credentials, where no server
can copy: the bytes stream through s3cache and are checked against their
digest before the copy is published.

A small blob is read with one GET and sent with one PUT, and the pair is
retried as a whole. A big one is read as ranged GETs and sent as a multipart
upload, part by part in parallel, each part retried on its own; a blob that
does not match its digest is aborted, never completed, and copied again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from s3cache_cli.s3 import upload
from s3cache_cli.s3.ranged_get import StoredBlob, get_range
from s3cache_cli.s3.retry import call_with_retries
from s3cache_cli.s3.transfer import CancelToken, TransferListener
from s3cache_cli.s3.verified_upload import (
    read_exactly,
    upload_verified_parts,
    upload_verified_stream,
)

if TYPE_CHECKING:
    from s3cache_cli.digest import Digest, DigestVerifier
    from s3cache_cli.s3.client import S3Connection
    from s3cache_cli.s3.parts import Part

log = logging.getLogger(__name__)


def stream_copy(
    source: S3Connection,
    source_key: str,
    dest: S3Connection,
    key: str,
    *,
    digest: Digest,
    size: int,
    listener: TransferListener,
    cancel: CancelToken,
) -> None:
    """Read the object from ``source`` and upload it to ``dest``, verified:
    the copy is published only once its bytes match ``digest``."""
    copy = _Copy(source, StoredBlob(source_key, digest, size), dest, key)
    if upload.needs_multipart(size):
        copy.in_parts(listener=listener, cancel=cancel)
    else:
        copy.whole(listener=listener, cancel=cancel)
    log.debug("streamed %s to s3://%s/%s", source_key, dest.bucket, key)


@dataclass(frozen=True)
class _Copy:
    source: S3Connection
    blob: StoredBlob
    dest: S3Connection
    key: str

    @property
    def what(self) -> str:
        return f"s3://{self.source.bucket}/{self.blob.key}"

    def in_parts(self, *, listener: TransferListener, cancel: CancelToken) -> None:
        """Ranged GETs into a multipart upload; each part retried alone.

        A mismatch found at the end cannot be pinned on one part, so the
        upload is aborted and the whole copy starts over, as for a small blob:
        bytes damaged on the way are a transient fault like any other.
        """

        def attempt(tally: TransferListener) -> None:
            upload_verified_parts(
                self.dest,
                self.key,
                self.blob.size,
                self._fetch_part,
                verifier=self._verifier(),
                what=self.what,
                ahead=upload.PART_PARALLELISM,
                listener=tally,
                cancel=cancel,
            )

        self._until_verified(attempt, listener)

    def whole(self, *, listener: TransferListener, cancel: CancelToken) -> None:
        """One GET into one PUT; a broken read or a mismatch starts it over."""

        def attempt(tally: TransferListener) -> None:
            source = self.source
            response = source.client.get_object(Bucket=source.bucket, Key=self.blob.key)
            body = response["Body"]
            try:
                upload_verified_stream(
                    self.dest,
                    self.key,
                    body.read,
                    self.blob.size,
                    verifier=self._verifier(),
                    what=self.what,
                    listener=tally,
                    cancel=cancel,
                )
            finally:
                body.close()

        self._until_verified(attempt, listener)

    def _until_verified(
        self,
        attempt: Callable[[TransferListener], None],
        listener: TransferListener,
    ) -> None:
        """Run whole copies until one is published; a retry takes back the
        progress the failed attempt reported."""
        tally = _Tally(listener)
        call_with_retries(
            self.source.bucket,
            self.blob.key,
            lambda: attempt(tally),
            what=f"copy of {self.what}",
            before_retry=tally.rollback,
        )

    def _fetch_part(self, part: Part, cancel: CancelToken) -> bytes:
        """One ranged GET read whole; a broken one is asked for again."""
        blob = self.blob

        def fetch() -> bytes:
            response = get_range(self.source, blob, start=part.offset, end=part.end)
            try:
                return read_exactly(response.body.read, part.length, cancel)
            finally:
                response.body.close()

        what = f"read of {blob.key} bytes {part.offset}-{part.end - 1}"
        return call_with_retries(self.source.bucket, blob.key, fetch, what=what)

    def _verifier(self) -> DigestVerifier:
        from s3cache_cli.digest import DigestVerifier

        return DigestVerifier(self.blob.digest, self.blob.size)


class _Tally:
    """Pass progress on and keep count, so a restarted copy can take it back."""

    def __init__(self, inner: TransferListener) -> None:
        self._inner = inner
        self._sent = 0

    def started(self, *, blobs: int, total_bytes: int) -> None:
        self._inner.started(blobs=blobs, total_bytes=total_bytes)

    def advanced(self, nbytes: int) -> None:
        self._sent += nbytes
        self._inner.advanced(nbytes)

    def blob_done(self, name: str, size: int, action: str) -> None:
        self._inner.blob_done(name, size, action)

    def finished(self) -> None:
        self._inner.finished()

    def rollback(self) -> None:
        self._inner.advanced(-self._sent)
        self._sent = 0
