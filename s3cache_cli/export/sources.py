"""Where an exported cache comes from: a local OCI layout or another S3 cache.

A source loads the cache config, checks the blobs the plan needs before
anything is written, and sends a blob to the destination: an upload from
disk, a server-side copy, or a verified stream between two endpoints.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from s3cache_cli.errors import CacheNotFound, IntegrityError
from s3cache_cli.export.plan import Action, BlobStep
from s3cache_cli.s3.transfer import CancelToken, TransferListener

if TYPE_CHECKING:
    from s3cache_cli.cacheconfig import CacheConfig
    from s3cache_cli.digest import Digest
    from s3cache_cli.oci.layout import OciLayout
    from s3cache_cli.s3.client import S3Connection
    from s3cache_cli.spec import LocalSpec

log = logging.getLogger(__name__)

# Blobs are hashed in modest reads: many at once must not add up in memory.
READ_CHUNK = 256 * 1024
_INCOMPLETE_HINT = "the cache directory is incomplete; export it from BuildKit again"


class SentWords(NamedTuple):
    """How a transfer kind is told: a blob sent, one planned, and its bytes."""

    done: str
    planned: str
    bytes_verb: str


# By CacheSource.transfer_kind.
SENT_WORDS = {
    "upload": SentWords("uploaded", "to upload", "sent"),
    "server-side copy": SentWords(
        "copied server-side", "to copy server-side", "copied"
    ),
    "stream copy": SentWords("copied", "to copy", "sent"),
}


class CacheSource(Protocol):
    description: str
    config: CacheConfig

    def transfer_kind(self, dest: S3Connection) -> str:
        """How blobs reach ``dest``: upload, server-side copy or stream copy."""

    def precheck(self, sizes: dict[Digest, int]) -> None:
        """Cheap checks of every blob, before any request is made."""

    def check_blob(self, step: BlobStep) -> None:
        """Raise IntegrityError when ``step``'s blob cannot be sent as planned."""

    def send(
        self,
        step: BlobStep,
        dest: S3Connection,
        *,
        listener: TransferListener,
        cancel: CancelToken,
    ) -> None: ...


@dataclass(frozen=True)
class LocalSource:
    layout: OciLayout
    config: CacheConfig
    description: str

    @classmethod
    def open(cls, spec: LocalSpec) -> LocalSource:
        from s3cache_cli.digest import parse_digest
        from s3cache_cli.oci.layout import OciLayout

        layout = OciLayout(spec.path)
        digest = parse_digest(str(spec.digest)) if spec.digest else None
        loaded = layout.load_cache(tag=spec.tag, digest=digest)
        entry = f"digest {digest}" if digest else f"tag {spec.tag or 'latest'}"
        return cls(layout, loaded.config, f"{spec.path} ({entry})")

    def transfer_kind(self, dest: S3Connection) -> str:
        return "upload"

    def precheck(self, sizes: dict[Digest, int]) -> None:
        """Every blob file exists with its size, so a missing one is reported
        before any request."""
        for digest, size in sizes.items():
            self._check_size(digest, size)

    def check_blob(self, step: BlobStep) -> None:
        """A blob to upload is hashed; one already in S3 only needs its size,
        which ``precheck`` saw."""
        from s3cache_cli.digest import verify_file

        if step.action is Action.UPLOAD:
            path = self.layout.blob_path(step.digest)
            verify_file(path, step.digest, step.size, chunk_size=READ_CHUNK)

    def send(
        self,
        step: BlobStep,
        dest: S3Connection,
        *,
        listener: TransferListener,
        cancel: CancelToken,
    ) -> None:
        from s3cache_cli.s3.upload import upload_file

        path = self.layout.blob_path(step.digest)
        upload_file(dest, step.key, path, step.size, listener=listener, cancel=cancel)

    def _check_size(self, digest: Digest, expected: int) -> None:
        path = self.layout.blob_path(digest)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            raise IntegrityError(
                f"blob {digest} is missing from {self.layout.root}",
                hint=_INCOMPLETE_HINT,
            ) from None
        if size != expected:
            raise IntegrityError(
                f"blob {digest} in {self.layout.root} has {size} bytes, "
                f"the cache says {expected}",
                hint=_INCOMPLETE_HINT,
            )


@dataclass(frozen=True)
class S3Source:
    conn: S3Connection
    config: CacheConfig
    description: str

    @classmethod
    def open(cls, conn: S3Connection) -> S3Source:
        """Read the first of the connection's spec's names that exists."""
        from s3cache_cli.cacheconfig import CacheConfig
        from s3cache_cli.s3.objects import get_small

        spec = conn.spec
        for name in spec.names:
            key = spec.manifest_key(name)
            found = get_small(conn, key)
            if found is not None:
                where = f"s3://{spec.bucket}/{key}"
                return cls(conn, CacheConfig.parse(found[0], source=where), where)

        raise CacheNotFound(
            f"no cache named {' or '.join(map(repr, spec.names))} in "
            f"s3://{spec.bucket}/"
            f"{spec.manifests_root}",
            hint="check name= and prefix= of --cache-from",
        )

    def transfer_kind(self, dest: S3Connection) -> str:
        from s3cache_cli.s3.copy import same_endpoint

        return "server-side copy" if same_endpoint(self.conn, dest) else "stream copy"

    def precheck(self, sizes: dict[Digest, int]) -> None:
        return None

    def check_blob(self, step: BlobStep) -> None:
        """A blob to copy exists in the source with its size."""
        from s3cache_cli.s3.objects import head

        if step.action is not Action.UPLOAD:
            return
        key = self._key(step)
        found = head(self.conn, key)
        if found is None or found.size != step.size:
            state = "missing" if found is None else f"{found.size} bytes"
            raise IntegrityError(
                f"blob {step.digest} of {self.description} is {state} at "
                f"s3://{self.conn.bucket}/{key} (expected {step.size} bytes)",
                hint="the source cache is damaged; export it again",
            )

    def send(
        self,
        step: BlobStep,
        dest: S3Connection,
        *,
        listener: TransferListener,
        cancel: CancelToken,
    ) -> None:
        from s3cache_cli.s3.copy import copy_within, same_endpoint
        from s3cache_cli.s3.stream_copy import stream_copy

        key = self._key(step)
        if same_endpoint(self.conn, dest):
            copy_within(dest, self.conn.bucket, key, step.key, step.size, cancel=cancel)
            listener.advanced(step.size)
            return

        stream_copy(
            self.conn,
            key,
            dest,
            step.key,
            digest=step.digest,
            size=step.size,
            listener=listener,
            cancel=cancel,
        )

    def _key(self, step: BlobStep) -> str:
        return self.conn.spec.blob_key(str(step.digest))
