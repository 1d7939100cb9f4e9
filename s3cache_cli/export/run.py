"""The steps of an export against S3, in the order BuildKit takes them.

HEAD every blob, then upload the missing ones and touch the stale ones, then
write the manifest under every name. A manifest is written only after every
blob it names is in place, so a reader never finds one with holes, even
after a crash. A stale blob that a prune deletes between its HEAD and its
touch is sent again from the source: the export has its bytes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from s3cache_cli.errors import CredentialsError
from s3cache_cli.export.plan import Action, BlobStep, ExportPlan, decide
from s3cache_cli.s3.transfer import CancelToken, TransferListener, run_parallel

if TYPE_CHECKING:
    from datetime import timedelta

    from s3cache_cli.digest import Digest
    from s3cache_cli.export.sources import CacheSource
    from s3cache_cli.s3.client import S3Connection

log = logging.getLogger(__name__)

# HEAD requests are tiny and wait on the network, not on bandwidth: more of
# them at once than blob transfers.
HEAD_PARALLELISM = 16


@dataclass(frozen=True)
class TransferOutcome:
    seconds: float
    bytes_sent: int

    @property
    def bytes_per_second(self) -> float:
        return self.bytes_sent / self.seconds if self.seconds > 0 else 0.0


def check_bucket(conn: S3Connection) -> None:
    """Raise when the bucket is missing or the credentials are wrong.

    A HEAD answers only "404" or "403", and some servers create a missing
    bucket on the first PUT; a one-key listing names the cause. Credentials
    that may not list the bucket pass: BuildKit needs only HEAD, GET and PUT.
    """
    from s3cache_cli.s3.retry import call_with_retries

    def list_one_key() -> None:
        import botocore.exceptions as bce

        from s3cache_cli.s3.errors import error_code

        try:
            conn.client.list_objects_v2(
                Bucket=conn.bucket, Prefix=conn.spec.blobs_root, MaxKeys=1
            )
        except bce.ClientError as error:
            if error_code(error) not in ("AccessDenied", "403"):
                raise
            log.debug("cannot list s3://%s; going on without", conn.bucket)

    call_with_retries(conn.bucket, None, list_one_key, what="listing of the bucket")


def survey(
    conn: S3Connection,
    source: CacheSource,
    sizes: dict[Digest, int],
    *,
    touch_refresh: timedelta,
    parallelism: int = HEAD_PARALLELISM,
) -> ExportPlan:
    """HEAD every blob in ``conn``, decide what it needs, and check in the
    source each blob that will be sent: all of it before anything is written.

    Each worker checks its blob right after the HEAD, so hashing overlaps
    with the requests instead of waiting for all of them.
    """
    from s3cache_cli.s3.objects import head

    source.precheck(sizes)
    now = datetime.now(UTC)

    def look(digest: Digest, cancel: CancelToken) -> BlobStep:
        key = conn.spec.blob_key(str(digest))
        action = decide(
            sizes[digest], head(conn, key), now=now, touch_refresh=touch_refresh
        )
        step = BlobStep(digest, sizes[digest], key, action)
        source.check_blob(step)
        return step

    try:
        steps = run_parallel(list(sizes), look, parallelism=parallelism)
    except CredentialsError:
        check_bucket(conn)  # says why, when the server tells a listing
        raise

    plan = ExportPlan(tuple(steps))
    # Found blobs prove the bucket exists; the check costs a request only
    # when something is about to be created in it.
    if not plan.steps or plan.having(Action.UPLOAD):
        check_bucket(conn)
    return plan


def transfer(
    plan: ExportPlan,
    source: CacheSource,
    dest: S3Connection,
    *,
    listener: TransferListener,
    parallelism: int,
) -> TransferOutcome:
    """Upload and touch what the plan says, ``parallelism`` blobs at a time."""
    from s3cache_cli.export.sources import SENT_WORDS

    # The biggest first, so a large blob does not start last and run alone.
    jobs = sorted(plan.having(Action.UPLOAD, Action.TOUCH), key=lambda s: -s.size)
    resent: list[BlobStep] = []
    said = {
        Action.UPLOAD: SENT_WORDS[source.transfer_kind(dest)].done,
        Action.TOUCH: "touched",
    }

    def work(step: BlobStep, cancel: CancelToken) -> None:
        done = step
        if step.action is Action.TOUCH:
            done = _touch_or_send(step, source, dest, listener=listener, cancel=cancel)
        else:
            source.send(step, dest, listener=listener, cancel=cancel)
        if done is not step:
            resent.append(done)
        listener.blob_done(str(step.digest), step.size, said[done.action])

    started = time.monotonic()
    if not jobs:
        return TransferOutcome(0.0, 0)
    listener.started(blobs=len(jobs), total_bytes=plan.bytes_for(Action.UPLOAD))
    try:
        run_parallel(jobs, work, parallelism=parallelism)
    finally:
        listener.finished()

    # Touches that became uploads sent bytes too.
    sent = plan.bytes_for(Action.UPLOAD) + sum(step.size for step in resent)
    return TransferOutcome(time.monotonic() - started, sent)


def _touch_or_send(
    step: BlobStep,
    source: CacheSource,
    dest: S3Connection,
    *,
    listener: TransferListener,
    cancel: CancelToken,
) -> BlobStep:
    """Touch ``step``'s blob; if it was deleted since its HEAD, send it from
    the source, checked as a planned upload is. The step that was done."""
    from s3cache_cli.s3.copy import BlobGone, touch

    try:
        touch(dest, step.key, step.size, cancel=cancel)
        return step
    except BlobGone as gone:
        log.debug("%s; sending it again", gone)

    upload = replace(step, action=Action.UPLOAD)
    source.check_blob(upload)
    source.send(upload, dest, listener=listener, cancel=cancel)
    return upload


def publish(conn: S3Connection, names: tuple[str, ...], body: bytes) -> list[str]:
    """Write the manifest under every name; the keys written, in order."""
    from s3cache_cli.s3.objects import put_small

    keys = []
    for name in names:
        key = conn.spec.manifest_key(name)
        put_small(conn, key, body)
        keys.append(key)
    return keys
