"""``s3cache import``: bring a cache from S3 into a directory BuildKit reads.

Find the first cache that exists, validate its manifest, see which blobs the
directory already holds, download the rest, then point the tag at the new
manifest. ``index.json`` is written last, so an interrupted import leaves the
directory as BuildKit saw it before (plus verified blobs at most).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from s3cache_cli.cli.app import App
from s3cache_cli.cli.options import (
    cache_from_option,
    cache_to_option,
    common_options,
    unsigned_denials_explained,
)
from s3cache_cli.cli.params import (
    complete_directory,
    report_spec_notes,
    spec_from_argument,
)
from s3cache_cli.errors import (
    CacheNotFound,
    CredentialsError,
    OperationFailed,
    UsageError,
)
from s3cache_cli.ui.units import format_bytes, format_duration

if TYPE_CHECKING:
    from s3cache_cli.digest import Digest
    from s3cache_cli.oci.writer import Blob, ManifestForm
    from s3cache_cli.s3.client import S3Connection
    from s3cache_cli.spec import LocalSpec, S3Spec


@click.command("import")
@click.argument(
    "directory", required=False, metavar="[DIR]", shell_complete=complete_directory
)
@cache_from_option(
    "sources",
    multiple=True,
    required=True,
    allowed_types=("s3",),
    help="The S3 cache to read (type=s3,…). Repeat it, or give name=a;b, "
    "to try several caches in order: the first that exists is imported.",
)
@cache_to_option(
    "target",
    allowed_types=("local",),
    advice={
        "type": "this command takes type=local only; to write a cache into S3, "
        "use s3cache export"
    },
    environment=False,
    help="The directory to write: type=local,dest=DIR[,tag=T]"
    "[,image-manifest=true][,oci-mediatypes=false][,mode=min]. A bare DIR "
    "argument means type=local,dest=DIR.",
)
@click.option(
    "--dry-run", is_flag=True, help="Say what would be downloaded; write nothing."
)
@click.option(
    "--no-sign-request",
    is_flag=True,
    help="Read a public bucket without credentials.",
)
@common_options
def import_(
    app: App,
    directory: str | None,
    sources: tuple[S3Spec, ...],
    target: LocalSpec | None,
    dry_run: bool,
    no_sign_request: bool,
) -> None:
    """Copy a BuildKit cache from S3 into a local directory.

    The directory is what `docker buildx build --cache-from type=local,src=DIR`
    and `buildctl --import-cache type=local,src=DIR` read. DIR is short for
    --cache-to type=local,dest=DIR and writes the tag latest.

    \b
    A branch's cache, else main's, then a build from it:
      s3cache import \\
        --cache-from 'type=s3,region=eu-west-1,bucket=ci-cache,name=pr-42;main' \\
        ./buildkit-cache
      docker buildx build --cache-from type=local,src=./buildkit-cache .

    Exit status: 0 done, 1 a download failed or a blob is damaged, 2 usage,
    3 none of the caches named exists, 4 credentials.
    """
    target = _target(directory, target)
    for spec in sources:
        report_spec_notes(app, spec, flag="--cache-from")
    report_spec_notes(app, target, flag="--cache-to")

    app.ignore_error = target.ignore_error or any(s.ignore_error for s in sources)
    with unsigned_denials_explained(no_sign_request):
        result = run_import(
            app, sources, target, dry_run=dry_run, no_sign_request=no_sign_request
        )
    app.result(result.to_json(), result.render)


def _target(directory: str | None, target: LocalSpec | None) -> LocalSpec:
    if directory is not None and target is not None:
        raise UsageError(
            "give the directory as DIR or as --cache-to, not both",
            hint="to choose a tag, drop DIR and pass "
            f"--cache-to 'type=local,dest={directory},tag=T'",
        )
    if target is not None:
        return target
    if directory is None:
        raise UsageError(
            "where to? give a directory (DIR) or --cache-to type=local,dest=DIR"
        )

    return spec_from_argument(directory, "to")


# -- the directory: can it take a cache? --------------------------------------


def check_target(path: Path) -> None:
    """Refuse a directory that cannot take the cache before anything is read."""
    from s3cache_cli.oci.layout import check_blob_folders
    from s3cache_cli.oci.writer import read_index

    try:
        info = path.stat()
    except FileNotFoundError:
        return  # created when the cache is written
    except NotADirectoryError:
        blocker = next((p for p in path.parents if p.exists()), path.parent)
        raise OperationFailed(
            f"cannot write the cache into {path}: {blocker} is a file, not a directory",
            hint=_DEST_HINT,
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise OperationFailed(f"{path} is a file, not a directory", hint=_DEST_HINT)
    if not os.access(path, os.W_OK | os.X_OK):
        raise _cannot_write(path, None)

    check_blob_folders(path)
    try:
        read_index(path)  # refuse a broken index.json before downloading
    except PermissionError as error:
        raise _cannot_write(path, error.filename) from error


def _cannot_write(path: Path, filename: str | None) -> CredentialsError:
    detail = f" ({filename})" if filename and filename != str(path) else ""
    return CredentialsError(
        f"cannot write the cache into {path}: permission denied{detail}",
        hint="s3cache must read and write that directory and its files; check "
        "their owner and mode, or give another dest=",
    )


_DEST_HINT = (
    "dest= (or DIR) names the directory to write the cache into; "
    "it is created when missing"
)


# -- resolve: the first cache that exists -------------------------------------


@dataclass(frozen=True)
class FoundCache:
    conn: S3Connection
    spec: S3Spec
    name: str
    key: str
    manifest: bytes
    missing: tuple[str, ...]  # the caches tried before this one, as URLs

    @property
    def url(self) -> str:
        return f"s3://{self.spec.bucket}/{self.key}"


def find_cache(
    app: App, sources: Sequence[S3Spec], *, no_sign_request: bool = False
) -> FoundCache:
    """The first name of the first source whose manifest exists."""
    from s3cache_cli.s3.client import connect
    from s3cache_cli.s3.objects import get_small

    missing: list[str] = []
    for spec in sources:
        conn = connect(
            spec,
            no_sign_request=no_sign_request,
            max_pool_connections=spec.upload_parallelism + 2,
        )
        app.describe_connection(conn)
        for name in spec.names:
            key = spec.manifest_key(name)
            found = get_small(conn, key)
            if found is not None:
                return FoundCache(conn, spec, name, key, found[0], tuple(missing))
            missing.append(f"s3://{spec.bucket}/{key}")
            app.info(f"no cache {name!r} at {missing[-1]}")

    raise CacheNotFound(
        f"no cache found; tried {', '.join(missing)}",
        hint="check name=, prefix= and the bucket; "
        "'s3cache inspect --cache-from …' lists the caches there",
    )


# -- plan: what the directory needs -------------------------------------------


@dataclass(frozen=True)
class PlannedBlob:
    digest: Digest
    size: int
    key: str
    state: str  # missing, valid or corrupt (already in the directory)


@dataclass(frozen=True)
class ImportPlan:
    root: Path
    tag: str
    form: ManifestForm
    config: Blob
    manifest: Blob
    blobs: tuple[PlannedBlob, ...]

    @property
    def to_download(self) -> tuple[PlannedBlob, ...]:
        return tuple(blob for blob in self.blobs if blob.state != "valid")

    def count(self, state: str) -> int:
        return sum(1 for blob in self.blobs if blob.state == state)


def plan_import(found: FoundCache, target: LocalSpec) -> ImportPlan:
    """Validate the manifest and build every document before writing a byte."""
    from s3cache_cli.cacheconfig import CacheConfig
    from s3cache_cli.oci import mediatypes as mt
    from s3cache_cli.oci.writer import Blob, ManifestForm, build_manifest, read_index

    config = CacheConfig.parse(found.manifest, source=found.url)
    if target.mode == "min":
        config = config.trim_to_min()
    form = ManifestForm(target.image_manifest, target.oci_mediatypes)
    config_blob = Blob(mt.CACHE_CONFIG, config.to_local_bytes())
    descriptors = config.layer_descriptors()
    manifest = build_manifest(config_blob, descriptors, form)
    read_index(target.path)  # refuse a broken index.json before downloading
    blobs = _blob_states(found, target.path, descriptors)
    return ImportPlan(target.path, target.tag, form, config_blob, manifest, blobs)


def _blob_states(
    found: FoundCache, root: Path, descriptors: Sequence[dict[str, Any]]
) -> tuple[PlannedBlob, ...]:
    from s3cache_cli.digest import parse_digest
    from s3cache_cli.oci.writer import blob_state
    from s3cache_cli.s3.transfer import run_parallel

    def check(descriptor: dict[str, Any], _: object) -> PlannedBlob:
        digest = parse_digest(descriptor["digest"])
        size = descriptor["size"]
        state = blob_state(root, digest, size)
        return PlannedBlob(digest, size, found.spec.blob_key(str(digest)), state)

    parallelism = found.spec.upload_parallelism
    return tuple(run_parallel(descriptors, check, parallelism=parallelism))


# -- transfer ------------------------------------------------------------------


def transfer(app: App, found: FoundCache, plan: ImportPlan) -> None:
    """Download what is missing, write the config and manifest, then the tag."""
    from s3cache_cli.oci import writer

    writer.prepare_layout(plan.root)
    # Layers only: the manifest blob's time also tells how old other tags
    # naming it are, and the check under the lock covers it and the config.
    writer.touch_blobs(plan.root, [b.digest for b in plan.blobs if b.state == "valid"])
    _download_missing(app, found, plan)
    for blob in plan.blobs:
        app.detail(f"{_ACTIONS[blob.state]} {blob.digest} ({format_bytes(blob.size)})")

    writer.write_blob(plan.root, plan.config)
    writer.write_blob(plan.root, plan.manifest)
    writer.sync_blob_directories(plan.root)
    lock = plan.root / writer.LOCK_FILE
    writer.update_index(
        plan.root,
        plan.manifest,
        plan.tag,
        needs=[
            plan.manifest.digest,
            plan.config.digest,
            *(b.digest for b in plan.blobs),
        ],
        on_wait=lambda: app.info(f"waiting for {lock} (another export holds it)"),
    )


def _download_missing(app: App, found: FoundCache, plan: ImportPlan) -> None:
    from s3cache_cli.oci.writer import blob_path
    from s3cache_cli.s3.download import BlobDownload, DownloadSettings, download_blobs
    from s3cache_cli.ui.progress import make_listener

    downloads = [
        BlobDownload(b.key, b.digest, b.size, blob_path(plan.root, b.digest))
        for b in plan.to_download
    ]
    if not downloads:
        return

    for download in downloads:
        download.destination.parent.mkdir(parents=True, exist_ok=True)
    settings = DownloadSettings(parallelism=found.spec.upload_parallelism)
    listener = make_listener(app, "downloading")
    download_blobs(found.conn, downloads, listener=listener, settings=settings)


_ACTIONS = {
    "missing": "downloaded",
    "corrupt": "replaced a corrupt copy of",
    "valid": "already present:",
}


# -- report --------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    found: FoundCache
    plan: ImportPlan
    seconds: float
    dry_run: bool

    @property
    def downloaded_bytes(self) -> int:
        return sum(blob.size for blob in self.plan.to_download)

    @property
    def rate(self) -> float:
        return self.downloaded_bytes / max(self.seconds, 1e-6)

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "dry_run": self.dry_run,
            "cache": {
                "name": self.found.name,
                "bucket": self.found.spec.bucket,
                "key": self.found.key,
                "url": self.found.url,
                "not_found": list(self.found.missing),
            },
            "destination": {
                "path": str(plan.root),
                "tag": plan.tag,
                "manifest": str(plan.manifest.digest),
                "media_type": plan.manifest.media_type,
            },
            "blobs": {
                "total": len(plan.blobs),
                "downloaded": len(plan.to_download),
                "present": plan.count("valid"),
                "replaced": plan.count("corrupt"),
            },
            "bytes": {
                "total": sum(blob.size for blob in plan.blobs),
                "downloaded": self.downloaded_bytes,
            },
            "seconds": round(self.seconds, 3),
            "bytes_per_second": round(self.rate),
        }

    def render(self, app: App) -> None:
        plan = self.plan
        done = "would import" if self.dry_run else "imported"
        app.print(f"{done} cache {self.found.name!r} from {self.found.url}")
        if self.found.missing:
            app.print(f"  (not found before it: {', '.join(self.found.missing)})")
        app.print(
            f"  into {plan.root}, tag {plan.tag} "
            f"({plan.form.description} {plan.manifest.digest})"
        )
        app.print(f"  {len(plan.blobs)} blobs: {self._blob_counts()}")
        if not self.dry_run:
            app.print(
                f"  in {format_duration(self.seconds)} ({format_bytes(self.rate)}/s)"
            )

    def _blob_counts(self) -> str:
        plan = self.plan
        verb = "would download" if self.dry_run else "downloaded"
        counts = [
            f"{len(plan.to_download)} {verb} ({format_bytes(self.downloaded_bytes)})",
            f"{plan.count('valid')} already present",
        ]
        if plan.count("corrupt"):
            counts.append(f"{plan.count('corrupt')} of them replacing corrupt files")
        return ", ".join(counts)


def run_import(
    app: App,
    sources: Sequence[S3Spec],
    target: LocalSpec,
    *,
    dry_run: bool,
    no_sign_request: bool = False,
) -> ImportResult:
    started = time.monotonic()
    check_target(target.path)
    found = find_cache(app, sources, no_sign_request=no_sign_request)
    app.info(f"importing cache {found.name!r} from {found.url}")

    try:
        plan = plan_import(found, target)
        if not dry_run:
            transfer(app, found, plan)
    except PermissionError as error:
        raise _cannot_write(target.path, error.filename) from error
    except OSError as error:
        raise OperationFailed(
            f"cannot write the cache into {target.path}: {error.strerror} "
            f"({error.filename})"
        ) from error

    return ImportResult(found, plan, time.monotonic() - started, dry_run)
