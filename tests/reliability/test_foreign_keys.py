"""Objects under the blob prefix whose names are not digests: prune leaves
them alone however old, and inspect reports them."""

from __future__ import annotations

from tests.export.cachebuilder import digest_of
from tests.reliability.dataset import Dataset, s3_problems

HEX = "b" * 64
NOT_DIGESTS = sorted(
    [
        "blobs/README",
        "blobs/sha256:",
        "blobs/sha256:" + "B" * 64,
        "blobs/sha256:" + HEX[:-1],
        "blobs/sha256:" + HEX + "/part",
        "blobs/sha256:" + HEX + ".tmp",
        "blobs/sha256:../" + HEX,
        "blobs/sha512:" + HEX,
        "blobs/md5:" + "c" * 32,
        "blobs/sha256/" + HEX,
        "blobs/ sha256:" + HEX,
        "blobs/sha256:" + "é" * 64,
        "blobs/nested/sha256:" + HEX,
    ]
)
OUTSIDE = ["other/sha256:" + HEX, "blobsx/sha256:" + HEX, "manifests-old/app"]


def seed(bucket, tmp_path) -> None:
    Dataset((b"kept one", b"kept two")).put_into(bucket, "kept", tmp_path)
    Dataset((b"gone",)).put_into(bucket, "gone", tmp_path)
    for key in [*NOT_DIGESTS, *OUTSIDE]:
        bucket.put(key, b"not a blob")


def test_prune_leaves_every_object_that_is_not_a_digest(cli, bucket, tmp_path) -> None:
    seed(bucket, tmp_path)

    result = cli(
        "prune",
        "--force",
        "--grace",
        "0s",
        "--cache-to",
        bucket.spec(name="gone"),
        "--json",
    )

    assert result.exit_code == 0, result.output
    assert result.json["blobs_deleted"] == 1
    assert f"blobs/{digest_of(b'gone')}" not in bucket.keys("blobs/")
    for key in [*NOT_DIGESTS, *OUTSIDE]:
        assert bucket.get(key) == b"not a blob", key
    assert s3_problems(bucket) == []


def test_inspect_reports_every_object_that_is_not_a_digest(
    cli, bucket, tmp_path
) -> None:
    seed(bucket, tmp_path)

    result = cli("inspect", "--check", "--cache-from", bucket.spec(), "--json")

    assert result.exit_code == 0, result.output
    assert result.json["storage"]["foreign"] == NOT_DIGESTS
    assert result.json["storage"]["blobs"] == 3
