"""Uploads of bytes that are not on disk yet, published only once they match
their digest.

A small blob is read whole, checked, and sent with one PUT. A big one goes up
as a multipart upload: parts are fetched and sent in parallel, hashed in
order as they come in, and the upload is completed only after the whole
blob matched its digest; otherwise it is aborted and nothing is published.
Memory is bounded by the parts in flight, whatever the size of the blob: a
part is not fetched while the hash is more than a few parts behind it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from s3cache_cli.errors import OperationFailed
from s3cache_cli.s3 import upload
from s3cache_cli.s3.ordered_hash import OrderedHasher
from s3cache_cli.s3.parts import MiB, Part
from s3cache_cli.s3.range_reader import RangeReader, bytes_reader
from s3cache_cli.s3.transfer import CancelToken, TransferListener

if TYPE_CHECKING:
    from s3cache_cli.digest import DigestVerifier
    from s3cache_cli.s3.client import S3Connection

log = logging.getLogger(__name__)

FetchPart = Callable[[Part, CancelToken], bytes]
# Parts held early are hashed in reads of this size.
HASH_CHUNK = 256 * 1024


def upload_verified_stream(
    conn: S3Connection,
    key: str,
    read: Callable[[int], bytes],
    size: int,
    *,
    verifier: DigestVerifier,
    what: str,
    listener: TransferListener,
    cancel: CancelToken,
) -> None:
    """Upload ``size`` bytes read in order from ``read``; publish them only if
    they match ``verifier``. Parts are read one after the other and sent in
    parallel."""
    if upload.needs_multipart(size):

        def fetch(part: Part, token: CancelToken) -> bytes:
            return read_exactly(read, part.length, token)

        # One part ahead: the hash gates each read on the one before it.
        upload_verified_parts(
            conn,
            key,
            size,
            fetch,
            verifier=verifier,
            what=what,
            ahead=1,
            listener=listener,
            cancel=cancel,
        )
        return

    data = read_exactly(read, size, cancel)
    verifier.update(data)
    verifier.check(what)
    body = bytes_reader(data)
    upload.put_object(conn, key, body, size, listener=listener, cancel=cancel)


def upload_verified_parts(
    conn: S3Connection,
    key: str,
    size: int,
    fetch: FetchPart,
    *,
    verifier: DigestVerifier,
    what: str,
    ahead: int,
    listener: TransferListener,
    cancel: CancelToken,
) -> None:
    """A multipart upload of parts from ``fetch(part, cancel)``, completed only
    if the blob matches ``verifier``.

    At most ``ahead`` parts are fetched before the hash reaches them; with 1,
    ``fetch`` is called for one part after the other, in order.
    """
    parts = upload.plan_parts(size)
    in_hand = _PartsInHand()
    hasher = OrderedHasher(verifier, in_hand.read_at, HASH_CHUNK)
    lead = (ahead - 1) * parts[0].length

    def body_for(part: Part, token: CancelToken) -> RangeReader:
        hasher.wait_for(part.offset - lead, token)
        data = fetch(part, token)
        in_hand.add(part.offset, data)
        hasher.wrote(part.offset, data)
        in_hand.drop_before(hasher.hashed)
        reader = bytes_reader(data)
        return RangeReader(reader, 0, part.length, listener=listener, cancel=token)

    def check() -> None:
        verifier.check(what)

    upload.send_parts(conn, key, parts, body_for, cancel=cancel, before_complete=check)
    log.debug("%s verified and sent to %s in %d parts", what, key, len(parts))


def read_exactly(
    read: Callable[[int], bytes], size: int, cancel: CancelToken
) -> bytearray:
    """``size`` bytes from ``read``, in pieces of at most 1 MiB."""
    data = bytearray(size)
    filled = 0
    while filled < size:
        cancel.raise_if_cancelled()
        chunk = read(min(size - filled, MiB))
        if not chunk:
            raise OperationFailed(f"the source ended {size - filled} bytes early")
        data[filled : filled + len(chunk)] = chunk
        filled += len(chunk)
    return data


class _PartsInHand:
    """Parts fetched ahead of the hash, kept until the hash has passed them."""

    def __init__(self) -> None:
        self._parts: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def add(self, offset: int, data: bytes) -> None:
        with self._lock:
            self._parts[offset] = data

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset``, within the part that holds it."""
        with self._lock:
            for start, data in self._parts.items():
                if start <= offset < start + len(data):
                    at = offset - start
                    return bytes(memoryview(data)[at : at + size])
        return b""

    def drop_before(self, offset: int) -> None:
        with self._lock:
            for start in [s for s, d in self._parts.items() if s + len(d) <= offset]:
                del self._parts[start]
