"""The cache store over a bucket in BuildKit's ``type=s3`` layout.

Manifests live under ``spec.manifests_root`` (one object per cache name),
blobs under ``spec.blobs_root`` (one object per digest). Listings are paged
and streamed, so a bucket with many blobs is never held in memory at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from s3cache_cli.errors import (
    CredentialsError,
    IntegrityError,
    InvalidManifest,
    S3CacheError,
)
from s3cache_cli.s3 import objects
from s3cache_cli.s3.errors import error_code, translate
from s3cache_cli.s3.listing import pages
from s3cache_cli.s3.retry import call_with_retries, is_transient, with_retries
from s3cache_cli.s3.transfer import CancelToken, run_parallel
from s3cache_cli.stores.base import (
    BlobDeleteError,
    BlobEntry,
    BlobRef,
    CacheEntry,
    PendingUpload,
)

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig
    from s3cache_cli.digest import Digest
    from s3cache_cli.s3.client import S3Connection

log = logging.getLogger(__name__)

DELETE_BATCH = 1000  # the most keys one DeleteObjects request may name
CHUNK_SIZE = 1024 * 1024
MANIFEST_LIMIT = objects.MANIFEST_SIZE_LIMIT
_PRECONDITION_CODES = frozenset({"PreconditionFailed", "412"})
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# Answers of stores that do not know conditional deletes; the HEAD made just
# before the delete is then the only guard.
_UNSUPPORTED_CODES = frozenset({"NotImplemented", "501", "InvalidArgument"})
# What one conditional delete found.
_DELETED, _CHANGED, _UNSUPPORTED = "deleted", "changed", "unsupported"


class S3Store:
    """``CacheStore`` over one bucket and prefix, through an ``S3Connection``."""

    def __init__(self, conn: S3Connection) -> None:
        self.conn = conn
        self.spec = conn.spec
        self.description = f"s3://{conn.bucket}/{self.spec.prefix}"

    def list_caches(self) -> Iterator[CacheEntry]:
        root = self.spec.manifests_root
        for item in self._list(root):
            name = item["Key"][len(root) :]
            if name:
                yield _cache_entry(name, item)

    def read_cache(self, entry: CacheEntry) -> CacheConfig:
        from s3cache_cli.cacheconfig import CacheConfig

        if entry.size > MANIFEST_LIMIT:
            raise InvalidManifest(
                f"{self._url(entry.location)}: {entry.size} bytes; a manifest over "
                f"{MANIFEST_LIMIT} bytes is refused"
            )

        found = objects.get_small(self.conn, entry.location, limit=MANIFEST_LIMIT)
        if found is None:
            raise InvalidManifest(
                f"{self._url(entry.location)} was deleted while s3cache read it"
            )

        data, _ = found
        return _parse_config(CacheConfig, data, source=self._url(entry.location))

    def own_blobs(self, entry: CacheEntry) -> tuple[BlobRef, ...]:
        """A manifest in S3 is an object of its own, not a blob."""
        return ()

    def iter_blobs(self) -> Iterator[BlobEntry]:
        for digest, item in self._blob_listing():
            if digest is not None:
                yield _blob_entry(digest, item)

    def iter_foreign(self) -> Iterator[str]:
        for digest, item in self._blob_listing():
            if digest is None:
                yield item["Key"]

    def head_blob(self, digest: Digest) -> BlobEntry | None:
        info = objects.head(self.conn, self._blob_key(digest))
        if info is None:
            return None

        return BlobEntry(digest, info.key, info.size, info.last_modified)

    def verify_blob(
        self,
        digest: Digest,
        size: int,
        *,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        from s3cache_cli.digest import DigestVerifier

        key = self._blob_key(digest)
        verifier = DigestVerifier(digest, size)
        progress = _Progress(on_bytes)

        def attempt() -> bool:
            verifier.reset()
            progress.rollback()
            found = self._stream_into(key, verifier, progress)
            if found:
                verifier.check(self._url(key))
            return found

        try:
            found = with_retries(attempt, what=f"verify {key}")
        except Exception as error:
            raise translate(error, bucket=self.conn.bucket, key=key) from error
        if not found:
            raise IntegrityError(f"{self._url(key)} does not exist")

    def delete_cache(self, entry: CacheEntry) -> bool:
        current = objects.head(self.conn, entry.location)
        if current is None or current.etag != entry.etag:
            log.debug("%s changed since it was listed; kept", entry.location)
            return False

        return self._delete_if_match(entry.location, current.etag)

    def delete_blobs(self, blobs: Iterable[BlobEntry]) -> int:
        keys = [blob.location for blob in blobs]
        batches = [keys[i : i + DELETE_BATCH] for i in _starts(len(keys))]
        failures = run_parallel(
            batches, self._delete_batch, parallelism=self.spec.upload_parallelism
        )

        failed = tuple(failure for batch in failures for failure in batch)
        deleted = len(keys) - len(failed)
        if failed:
            raise BlobDeleteError(deleted=deleted, failures=failed, where=self._url(""))
        return deleted

    def pending_uploads(self) -> Iterator[PendingUpload]:
        root = self.spec.blobs_root
        for page in pages(self.conn, "list_multipart_uploads", where=root, Prefix=root):
            for upload in page.get("Uploads", []):
                yield PendingUpload(
                    location=upload["Key"],
                    upload_id=upload["UploadId"],
                    started=upload["Initiated"],
                    size=self._uploaded_bytes(upload["Key"], upload["UploadId"]),
                )

    def abort_upload(self, upload: PendingUpload) -> None:
        def abort() -> None:
            import botocore.exceptions

            try:
                self.conn.client.abort_multipart_upload(
                    Bucket=self.conn.bucket,
                    Key=upload.location,
                    UploadId=upload.upload_id,
                )
            except botocore.exceptions.ClientError as error:
                # Gone already: finished, aborted by another run, or by our
                # own attempt whose answer was lost.
                if error_code(error) != "NoSuchUpload":
                    raise

        key = upload.location
        call_with_retries(self.conn.bucket, key, abort, what=f"abort of {key}")
        log.debug("aborted upload %s of %s", upload.upload_id, upload.location)

    # Listing

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        for page in pages(self.conn, "list_objects_v2", where=prefix, Prefix=prefix):
            yield from page.get("Contents", [])

    def _blob_listing(self) -> Iterator[tuple[Digest | None, dict[str, Any]]]:
        from s3cache_cli.digest import InvalidDigest, parse_digest

        root = self.spec.blobs_root
        for item in self._list(root):
            try:
                yield parse_digest(item["Key"][len(root) :]), item
            except InvalidDigest:
                yield None, item

    def _uploaded_bytes(self, key: str, upload_id: str) -> int:
        listing = pages(self.conn, "list_parts", where=key, Key=key, UploadId=upload_id)
        try:
            return sum(
                part["Size"] for page in listing for part in page.get("Parts", [])
            )
        except S3CacheError as error:
            # The upload may have finished or been aborted since it was listed.
            log.debug("cannot list the parts of %s: %s", key, error)
            return 0

    # Reading and deleting

    def _stream_into(self, key: str, verifier: Any, progress: _Progress) -> bool:
        import botocore.exceptions

        try:
            response = self.conn.client.get_object(Bucket=self.conn.bucket, Key=key)
        except botocore.exceptions.ClientError as error:
            if error_code(error) in _MISSING_CODES:
                return False
            raise
        body = response["Body"]
        try:
            for chunk in body.iter_chunks(CHUNK_SIZE):
                verifier.update(chunk)
                progress.advance(len(chunk))
        finally:
            body.close()
        return True

    def _delete_if_match(self, key: str, etag: str) -> bool:
        outcome = call_with_retries(
            self.conn.bucket,
            key,
            lambda: self._conditional_delete(key, etag),
            what=f"delete of {key}",
        )
        if outcome == _CHANGED:
            log.debug("%s changed just before its delete; kept", key)
            return False
        if outcome == _UNSUPPORTED:
            log.debug("conditional delete unsupported; deleting %s", key)
            self._delete_plain(key)
        log.debug("deleted %s", key)
        return True

    def _conditional_delete(self, key: str, etag: str) -> str:
        import botocore.exceptions

        try:
            self.conn.client.delete_object(
                Bucket=self.conn.bucket, Key=key, IfMatch=etag
            )
        except botocore.exceptions.ClientError as error:
            code = error_code(error)
            if code in _PRECONDITION_CODES:
                return _CHANGED
            if code in _MISSING_CODES:
                return _DELETED  # by an attempt whose answer was lost
            if code in _UNSUPPORTED_CODES:
                return _UNSUPPORTED
            raise
        return _DELETED

    def _delete_plain(self, key: str) -> None:
        def delete() -> None:
            self.conn.client.delete_object(Bucket=self.conn.bucket, Key=key)

        call_with_retries(self.conn.bucket, key, delete, what=f"delete of {key}")

    def _delete_batch(
        self, keys: list[str], cancel: CancelToken
    ) -> list[tuple[str, str]]:
        """Delete one batch; the keys S3 refused, each with the reason."""
        batch = _DeleteBatch(self.conn, keys)
        try:
            with_retries(batch.attempt, what=f"delete {len(keys)} blobs")
        except Exception as error:
            refusal = error
            if error is not batch.last_refusal:
                refusal = translate(error, bucket=self.conn.bucket)
            # A request that failed for good refused every key it named;
            # the error then lists them instead of only naming the bucket.
            if isinstance(refusal, CredentialsError):
                raise refusal from error
            batch.give_up(str(refusal))
        return batch.refused

    def _blob_key(self, digest: Digest) -> str:
        return self.spec.blob_key(str(digest))

    def _url(self, key: str) -> str:
        return f"s3://{self.conn.bucket}/{key}"


class _DeleteBatch:
    """One DeleteObjects batch; keys refused for a transient reason are retried."""

    def __init__(self, conn: S3Connection, keys: list[str]) -> None:
        self.conn = conn
        self.pending = list(keys)
        self.refused: list[tuple[str, str]] = []
        self.last_refusal: Exception | None = None

    def attempt(self) -> None:
        listed = [{"Key": key} for key in self.pending]
        response = self.conn.client.delete_objects(
            Bucket=self.conn.bucket, Delete={"Objects": listed, "Quiet": True}
        )

        errors = [(e, _as_client_error(e)) for e in response.get("Errors", [])]
        retry = [e for e, client_error in errors if is_transient(client_error)]
        self.refused.extend(_refusal(e) for e, _ in errors if e not in retry)
        self.pending = [e.get("Key", "?") for e in retry]
        if self.pending:
            self.last_refusal = _as_client_error(retry[0])
            raise self.last_refusal

    def give_up(self, reason: str) -> None:
        self.refused.extend((key, reason) for key in self.pending)
        self.pending = []


class _Progress:
    """Bytes reported for one blob, so a retried read can take them back."""

    def __init__(self, on_bytes: Callable[[int], None] | None) -> None:
        self._on_bytes = on_bytes
        self._reported = 0

    def advance(self, nbytes: int) -> None:
        self._reported += nbytes
        if self._on_bytes is not None:
            self._on_bytes(nbytes)

    def rollback(self) -> None:
        if self._reported and self._on_bytes is not None:
            self._on_bytes(-self._reported)
        self._reported = 0


def _parse_config(cls: Any, data: bytes, *, source: str) -> CacheConfig:
    try:
        return cls.parse(data, source=source)
    except InvalidManifest:
        raise
    except ValueError as error:
        raise InvalidManifest(f"{source}: {error}") from error


def _starts(count: int) -> range:
    return range(0, count, DELETE_BATCH)


def _cache_entry(name: str, item: dict[str, Any]) -> CacheEntry:
    return CacheEntry(
        name=name,
        location=item["Key"],
        size=int(item["Size"]),
        modified=item["LastModified"],
        etag=item.get("ETag"),
    )


def _blob_entry(digest: Digest, item: dict[str, Any]) -> BlobEntry:
    return BlobEntry(digest, item["Key"], int(item["Size"]), item["LastModified"])


def _refusal(error: dict[str, str]) -> tuple[str, str]:
    reason = f"{error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": ")
    return error.get("Key", "?"), reason


def _as_client_error(error: dict[str, str]) -> Exception:
    """A per-key refusal as the ClientError a refused request would raise, so
    the one retry policy decides whether it is worth another try."""
    import botocore.exceptions

    response = {"Error": {"Code": error.get("Code"), "Message": error.get("Message")}}
    return botocore.exceptions.ClientError(response, "DeleteObjects")  # type: ignore[arg-type]
