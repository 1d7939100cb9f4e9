"""Flag strings s3cache accepts, and exactly what each one reads as."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from s3cache_cli.spec import LocalSpec, S3Spec, parse_cache_spec

BASE = "type=s3,bucket=b,region=r"


def s3(**settings: object) -> S3Spec:
    return S3Spec(**{"bucket": "b", "region": "r", **settings})


@pytest.mark.parametrize(
    ("text", "direction", "expected"),
    [
        pytest.param(BASE, "to", s3(), id="minimal"),
        pytest.param("TYPE=s3,Bucket=b,REGION=r", "to", s3(), id="keys-any-case"),
        pytest.param(
            "region=r,bucket=b,type=s3", "from", s3(), id="fields-in-any-order"
        ),
        pytest.param(
            "type=s3,bucket=My_Bucket,region=r",
            "to",
            s3(bucket="My_Bucket"),
            id="value-case-kept",
        ),
        pytest.param(
            f"{BASE},bucket=second", "to", s3(bucket="second"), id="last-key-wins"
        ),
        pytest.param(
            "type=local,type=s3,bucket=b,region=r", "to", s3(), id="last-type-wins"
        ),
        pytest.param(
            f"{BASE},name=pr-42;main",
            "from",
            s3(names=("pr-42", "main")),
            id="several-names",
        ),
        pytest.param(
            f"{BASE},name=team/app", "to", s3(names=("team/app",)), id="name-with-slash"
        ),
        pytest.param(f'{BASE},"name=a,b"', "to", s3(names=("a,b",)), id="quoted-comma"),
        pytest.param(
            f'{BASE},"name=a;b"', "to", s3(names=("a", "b")), id="quoted-semicolon"
        ),
        pytest.param(
            f'{BASE},"name=say ""hi"""',
            "to",
            s3(names=('say "hi"',)),
            id="quoted-escaped-quotes",
        ),
        pytest.param(
            '"type=s3","bucket=b",region=r', "to", s3(), id="quoted-plain-fields"
        ),
        pytest.param(f"{BASE},prefix=team1/", "to", s3(prefix="team1/"), id="prefix"),
        pytest.param(
            f"{BASE},manifests_prefix=m/,blobs_prefix=",
            "to",
            s3(manifests_prefix="m/", blobs_prefix=""),
            id="key-prefixes",
        ),
        pytest.param(
            f"{BASE},endpoint_url=http://127.0.0.1:8333,use_path_style=true",
            "to",
            s3(endpoint_url="http://127.0.0.1:8333", use_path_style=True),
            id="endpoint-and-path-style",
        ),
        pytest.param(
            f"{BASE},endpoint_url=https://s3.example:9000/?x=y=z",
            "to",
            s3(endpoint_url="https://s3.example:9000/?x=y=z"),
            id="value-keeps-equals",
        ),
        pytest.param(f"{BASE},endpoint_url=", "to", s3(), id="empty-endpoint-unset"),
        pytest.param(
            f"{BASE},access_key_id=AKID,secret_access_key=sekrit-value,"
            "session_token=tok-value",
            "to",
            s3(
                access_key_id="AKID",
                secret_access_key="sekrit-value",
                session_token="tok-value",
            ),
            id="credentials",
        ),
        pytest.param(
            f"{BASE},upload_parallelism=16",
            "to",
            s3(upload_parallelism=16),
            id="upload-parallelism",
        ),
        pytest.param(
            f"{BASE},touch_refresh=1h30m",
            "to",
            s3(touch_refresh=timedelta(minutes=90)),
            id="touch-refresh",
        ),
        pytest.param(
            f"{BASE},touch_refresh=0",
            "to",
            s3(touch_refresh=timedelta(0)),
            id="touch-refresh-zero",
        ),
        pytest.param(
            f"{BASE},retry_mode=adaptive,retry_max_attempts=7",
            "to",
            s3(retry_mode="adaptive", retry_max_attempts=7),
            id="retries",
        ),
        pytest.param(
            f"{BASE},disable_accept_encoding=true",
            "to",
            s3(disable_accept_encoding=True),
            id="disable-accept-encoding",
        ),
        pytest.param(f"{BASE},mode=min", "to", s3(mode="min"), id="mode-to"),
        pytest.param(
            f"{BASE},ignore-error=true",
            "from",
            s3(ignore_error=True),
            id="ignore-error",
        ),
        pytest.param(
            f"{BASE},compression=zstd,oci-mediatypes=true,compression=gzip",
            "to",
            s3(ignored=("compression", "oci-mediatypes")),
            id="buildx-keys-ignored-once",
        ),
        pytest.param(
            f"{BASE},image-manifest=true,force-compression=true,compression-level=3",
            "to",
            s3(ignored=("image-manifest", "force-compression", "compression-level")),
            id="more-buildx-keys-ignored",
        ),
    ],
)
def test_s3_flag_string(text: str, direction: str, expected: S3Spec) -> None:
    assert parse_cache_spec(text, direction=direction, environ={}) == expected


@pytest.mark.parametrize(
    ("text", "expected_warning"),
    [
        pytest.param(
            f"{BASE},prefix=team1",
            "prefix=team1 has no trailing '/': keys are written as "
            "team1manifests/<name>; write prefix=team1/ for a folder",
            id="prefix-without-slash",
        ),
        pytest.param(
            f"{BASE},manifests_prefix=m",
            "manifests_prefix=m has no trailing '/': keys are written as "
            "m<name>; write manifests_prefix=m/ for a folder",
            id="manifests-prefix-without-slash",
        ),
        pytest.param(
            f"{BASE},prefix=t/,blobs_prefix=b",
            "blobs_prefix=b has no trailing '/': keys are written as "
            "t/bsha256:<hex>; write blobs_prefix=b/ for a folder",
            id="blobs-prefix-without-slash",
        ),
        pytest.param(
            f"{BASE},access_key_id=AKID",
            "access_key_id and secret_access_key are used only together; "
            "credentials come from the AWS chain instead",
            id="key-id-without-secret",
        ),
        pytest.param(
            f"{BASE},session_token=tok-value",
            "session_token is used only with access_key_id and secret_access_key; "
            "credentials come from the AWS chain instead",
            id="token-alone",
        ),
    ],
)
def test_s3_warnings(text: str, expected_warning: str) -> None:
    spec = parse_cache_spec(text, direction="to", environ={})

    assert spec.warnings == (expected_warning,)


def test_mode_on_cache_from_is_kept_with_a_warning() -> None:
    spec = parse_cache_spec(f"{BASE},mode=max", direction="from", environ={})

    assert spec.mode == "max"
    assert spec.warnings == ("mode=max means nothing on --cache-from; it is ignored",)


def test_prefix_warning_names_the_key_it_produces() -> None:
    spec = parse_cache_spec(f"{BASE},prefix=team1", direction="to", environ={})

    assert spec.manifest_key("app") == "team1manifests/app"
    assert "team1manifests/<name>" in spec.warnings[0]


@pytest.mark.parametrize(
    "text", ["1", "t", "T", "TRUE", "true", "True"], ids=lambda text: f"true-{text}"
)
def test_go_true_spellings(text: str) -> None:
    spec = parse_cache_spec(f"{BASE},use_path_style={text}", direction="to", environ={})

    assert spec.use_path_style is True


@pytest.mark.parametrize(
    "text", ["0", "f", "F", "FALSE", "false", "False"], ids=lambda text: f"false-{text}"
)
def test_go_false_spellings(text: str) -> None:
    spec = parse_cache_spec(
        f"{BASE},disable_accept_encoding={text}", direction="to", environ={}
    )

    assert spec.disable_accept_encoding is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("90m", timedelta(minutes=90), id="minutes"),
        pytest.param("1.5h", timedelta(minutes=90), id="fraction-of-hours"),
        pytest.param("36h", timedelta(hours=36), id="beyond-a-day"),
        pytest.param("300ms", timedelta(milliseconds=300), id="milliseconds"),
        pytest.param(
            "2h45m30.5s", timedelta(hours=2, minutes=45, seconds=30.5), id="mixed"
        ),
    ],
)
def test_touch_refresh_durations(text: str, expected: timedelta) -> None:
    spec = parse_cache_spec(f"{BASE},touch_refresh={text}", direction="to", environ={})

    assert spec.touch_refresh == expected


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        pytest.param(
            "type=s3",
            {"AWS_BUCKET": "env-bucket", "AWS_REGION": "eu-west-1"},
            s3(bucket="env-bucket", region="eu-west-1"),
            id="both-from-environment",
        ),
        pytest.param(
            "type=s3,bucket=b",
            {"AWS_REGION": "eu-west-1"},
            s3(region="eu-west-1"),
            id="region-from-environment",
        ),
        pytest.param(
            "type=s3,region=r",
            {"AWS_BUCKET": "b"},
            s3(),
            id="bucket-from-environment",
        ),
        pytest.param(
            BASE,
            {"AWS_BUCKET": "other", "AWS_REGION": "other"},
            s3(),
            id="string-wins-over-environment",
        ),
    ],
)
def test_environment_fallbacks(
    text: str, environ: dict[str, str], expected: S3Spec
) -> None:
    assert parse_cache_spec(text, direction="to", environ=environ) == expected


def test_environment_defaults_to_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_BUCKET", "process-bucket")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")

    spec = parse_cache_spec("type=s3", direction="from")

    assert (spec.bucket, spec.region) == ("process-bucket", "ap-south-1")


@pytest.mark.parametrize(
    ("text", "direction", "expected"),
    [
        pytest.param(
            "type=local,src=./cache",
            "from",
            LocalSpec(path=Path("cache"), direction="from"),
            id="from-src",
        ),
        pytest.param(
            "type=local,dest=/tmp/c",
            "to",
            LocalSpec(path=Path("/tmp/c"), direction="to"),
            id="to-dest",
        ),
        pytest.param(
            'type=local,"dest=/tmp/a,b"',
            "to",
            LocalSpec(path=Path("/tmp/a,b"), direction="to"),
            id="quoted-path-with-comma",
        ),
        pytest.param(
            "type=local,src=c,tag=v1.2",
            "from",
            LocalSpec(path=Path("c"), direction="from", tag="v1.2"),
            id="tag",
        ),
        pytest.param(
            "type=local,src=c,digest=sha256:" + "a" * 64,
            "from",
            LocalSpec(path=Path("c"), direction="from", digest="sha256:" + "a" * 64),
            id="digest-sha256",
        ),
        pytest.param(
            "type=local,src=c,digest=sha512:" + "0" * 128,
            "from",
            LocalSpec(path=Path("c"), direction="from", digest="sha512:" + "0" * 128),
            id="digest-sha512",
        ),
        pytest.param(
            "type=local,dest=c,image-manifest=true",
            "to",
            LocalSpec(path=Path("c"), direction="to", image_manifest=True),
            id="image-manifest",
        ),
        pytest.param(
            "type=local,dest=c,oci-mediatypes=false",
            "to",
            LocalSpec(path=Path("c"), direction="to", oci_mediatypes=False),
            id="docker-media-types",
        ),
        pytest.param(
            "type=local,dest=c,mode=max,ignore-error=1",
            "to",
            LocalSpec(path=Path("c"), direction="to", mode="max", ignore_error=True),
            id="mode-and-ignore-error",
        ),
        pytest.param(
            "type=local,dest=c,compression=zstd",
            "to",
            LocalSpec(path=Path("c"), direction="to", ignored=("compression",)),
            id="to-compression-ignored",
        ),
        pytest.param(
            "type=local,src=c,image-manifest=true,oci-mediatypes=false",
            "from",
            LocalSpec(
                path=Path("c"),
                direction="from",
                ignored=("image-manifest", "oci-mediatypes"),
            ),
            id="from-writer-keys-ignored",
        ),
        pytest.param(
            "type=local,src=c,mode=min",
            "from",
            LocalSpec(
                path=Path("c"),
                direction="from",
                mode="min",
                warnings=("mode=min means nothing on --cache-from; it is ignored",),
            ),
            id="from-mode-warns",
        ),
    ],
)
def test_local_flag_string(text: str, direction: str, expected: LocalSpec) -> None:
    assert parse_cache_spec(text, direction=direction, environ={}) == expected


def test_allowed_types_accept_the_listed_type() -> None:
    spec = parse_cache_spec(BASE, direction="to", environ={}, allowed_types=("s3",))

    assert spec.type == "s3"


def test_direction_must_be_from_or_to() -> None:
    with pytest.raises(ValueError, match="direction"):
        parse_cache_spec(BASE, direction="sideways", environ={})  # type: ignore[arg-type]
