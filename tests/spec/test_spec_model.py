"""What the specs compute: S3 keys, JSON renderings, flag strings that read back."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from s3cache_cli.spec import LocalSpec, S3Spec, parse_cache_spec

SHA256 = "sha256:" + "3b1f" * 16


@pytest.mark.parametrize(
    ("settings", "manifest", "blob"),
    [
        pytest.param({}, "manifests/app", f"blobs/{SHA256}", id="defaults"),
        pytest.param(
            {"prefix": "team1/"},
            "team1/manifests/app",
            f"team1/blobs/{SHA256}",
            id="prefix",
        ),
        pytest.param(
            {"prefix": "team1"},
            "team1manifests/app",
            f"team1blobs/{SHA256}",
            id="prefix-without-slash",
        ),
        pytest.param(
            {"prefix": "p/", "manifests_prefix": "m/", "blobs_prefix": ""},
            "p/m/app",
            f"p/{SHA256}",
            id="custom-prefixes",
        ),
    ],
)
def test_keys(settings: dict[str, str], manifest: str, blob: str) -> None:
    spec = S3Spec(bucket="b", region="r", **settings)

    assert spec.manifest_key("app") == manifest
    assert spec.blob_key(SHA256) == blob
    assert manifest.startswith(spec.manifests_root)
    assert blob.startswith(spec.blobs_root)


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:../../etc",
        "sha256:" + "A" * 64,
        "sha256:" + "a" * 63,
        "md5:" + "a" * 32,
        "a" * 64,
    ],
    ids=["dot-dot", "upper-case", "short", "md5", "no-algorithm"],
)
def test_blob_key_refuses_unchecked_digests(digest: str) -> None:
    with pytest.raises(ValueError, match="digest"):
        S3Spec(bucket="b", region="r").blob_key(digest)


def test_blob_key_takes_sha512() -> None:
    digest = "sha512:" + "0" * 128

    assert S3Spec(bucket="b", region="r").blob_key(digest) == f"blobs/{digest}"


def test_with_names_replaces_the_names_only() -> None:
    spec = S3Spec(bucket="b", region="r", prefix="p/")

    renamed = spec.with_names(("pr-1", "main"))

    assert renamed.names == ("pr-1", "main")
    assert dataclasses.replace(renamed, names=spec.names) == spec


@pytest.mark.parametrize("names", [("",), ("a", " b")], ids=["empty", "space"])
def test_with_names_refuses_bad_names(names: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="name"):
        S3Spec(bucket="b", region="r").with_names(names)


def test_a_spec_needs_a_name() -> None:
    with pytest.raises(ValueError, match="name"):
        S3Spec(bucket="b", region="r", names=())


def test_specs_are_frozen_and_typed() -> None:
    spec = S3Spec(bucket="b", region="r")

    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.bucket = "other"  # type: ignore[misc]
    assert (S3Spec.type, LocalSpec.type) == ("s3", "local")


def test_s3_redacted_document() -> None:
    spec = S3Spec(
        bucket="b",
        region="r",
        names=("a", "b"),
        endpoint_url="http://127.0.0.1:8333",
        access_key_id="AKID",
        secret_access_key="sekrit-value",
        touch_refresh=timedelta(minutes=90),
    )

    assert spec.redacted() == {
        "type": "s3",
        "bucket": "b",
        "region": "r",
        "names": ["a", "b"],
        "prefix": "",
        "manifests_prefix": "manifests/",
        "blobs_prefix": "blobs/",
        "endpoint_url": "http://127.0.0.1:8333",
        "use_path_style": False,
        "access_key_id": "AKID",
        "secret_access_key": "***",
        "upload_parallelism": 4,
        "touch_refresh": "1h30m",
        "disable_accept_encoding": False,
        "ignore_error": False,
    }


def test_local_redacted_document() -> None:
    spec = LocalSpec(path=Path("/tmp/c"), direction="to", mode="max")

    assert spec.redacted() == {
        "type": "local",
        "path": "/tmp/c",
        "direction": "to",
        "tag": "latest",
        "image_manifest": False,
        "oci_mediatypes": True,
        "ignore_error": False,
        "mode": "max",
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            S3Spec(bucket="b", region="r"), "type=s3,bucket=b,region=r", id="minimal"
        ),
        pytest.param(
            S3Spec(
                bucket="b",
                region="r",
                names=("a,b", "c"),
                use_path_style=True,
                touch_refresh=timedelta(hours=36),
                ignore_error=True,
            ),
            'type=s3,bucket=b,region=r,"name=a,b;c",use_path_style=true,'
            "touch_refresh=36h,ignore-error=true",
            id="settings-and-quoting",
        ),
        pytest.param(
            S3Spec(bucket="b", region="r", blobs_prefix=""),
            "type=s3,bucket=b,region=r,blobs_prefix=",
            id="empty-prefix-is-written",
        ),
        pytest.param(
            LocalSpec(path=Path("c"), direction="from", tag="v1"),
            "type=local,src=c,tag=v1",
            id="local-from",
        ),
        pytest.param(
            LocalSpec(path=Path("c"), direction="to", oci_mediatypes=False),
            "type=local,dest=c,oci-mediatypes=false",
            id="local-to",
        ),
    ],
)
def test_to_string(spec: S3Spec | LocalSpec, expected: str) -> None:
    assert spec.to_string() == expected
    assert parse_cache_spec(expected, direction=_direction(spec), environ={}) == spec


def _direction(spec: S3Spec | LocalSpec) -> str:
    return spec.direction if isinstance(spec, LocalSpec) else "to"


def test_spec_package_imports_neither_click_nor_boto3() -> None:
    code = (
        "import sys, s3cache_cli.spec; "
        "print(sorted({'click', 'boto3', 'botocore'} & set(sys.modules)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert completed.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("text", "names", "given"),
    [
        pytest.param("type=s3,bucket=b,region=r", ("buildkit",), False, id="default"),
        pytest.param("type=s3,bucket=b,region=r,name=app", ("app",), True, id="one"),
        pytest.param(
            "type=s3,bucket=b,region=r,name=buildkit",
            ("buildkit",),
            True,
            id="explicit",
        ),
    ],
)
def test_spec_says_whether_names_were_given(
    text: str, names: tuple[str, ...], given: bool
) -> None:
    spec = parse_cache_spec(text, direction="from", environ={})

    assert spec.names == names
    assert spec.names_given is given
