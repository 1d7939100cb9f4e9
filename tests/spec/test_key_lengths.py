"""S3 takes keys of up to 1024 bytes: a flag string whose manifest or blob
keys would be longer is a usage error naming the attribute, found while the
string is read; a key of exactly 1024 bytes is accepted."""

from __future__ import annotations

import pytest

from s3cache_cli.spec import SpecError, parse_cache_spec

BASE = "type=s3,bucket=b,region=r"
BLOB_DIGEST = 71  # sha256: and 64 hex digits


def parse(text: str, direction: str = "to"):
    return parse_cache_spec(text, direction=direction, environ={})


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"{BASE},name={'a' * 1014}", id="name-at-the-limit"),
        pytest.param(f"{BASE},name={'é' * 507}", id="two-byte-name-at-the-limit"),
        pytest.param(f"{BASE},name=main;{'a' * 1014}", id="second-name-at-the-limit"),
        pytest.param(
            f"{BASE},prefix={'p' * 500},manifests_prefix=m/,name={'n' * 522}",
            id="prefix-and-name-at-the-limit",
        ),
        pytest.param(
            f"{BASE},prefix={'p' * (1024 - 6 - BLOB_DIGEST)}",
            id="blob-key-at-the-limit",
        ),
        pytest.param(
            f"{BASE},blobs_prefix={'b' * (1024 - BLOB_DIGEST)}",
            id="blobs-prefix-at-the-limit",
        ),
    ],
)
def test_keys_up_to_1024_bytes_are_accepted(text: str) -> None:
    spec = parse(text)

    for name in spec.names:
        assert len(spec.manifest_key(name).encode()) <= 1024


@pytest.mark.parametrize(
    ("text", "attribute", "summary"),
    [
        pytest.param(
            f"{BASE},name={'a' * 1015}",
            "name",
            "name: the manifest key of cache 1 would be 1025 bytes",
            id="name-one-byte-over",
        ),
        pytest.param(
            f"{BASE},name={'é' * 508}",
            "name",
            "name: the manifest key of cache 1 would be 1026 bytes",
            id="bytes-not-characters",
        ),
        pytest.param(
            f"{BASE},name=main;{'a' * 1015}",
            "name",
            "name: the manifest key of cache 2 would be 1025 bytes",
            id="second-name",
        ),
        pytest.param(
            f"{BASE},prefix={'p' * 1020}/",
            "prefix",
            "prefix: a blob key would be 1098 bytes",
            id="prefix-too-long-for-blobs",
        ),
        pytest.param(
            f"{BASE},blobs_prefix={'b' * 1000}/",
            "blobs_prefix",
            "blobs_prefix: a blob key would be 1072 bytes",
            id="blobs-prefix",
        ),
        pytest.param(
            f"{BASE},manifests_prefix={'m' * 1020}/",
            "manifests_prefix",
            "manifests_prefix: the manifest key of cache 1 would be 1029 bytes",
            id="manifests-prefix-with-the-default-name",
        ),
        pytest.param(
            f"{BASE},prefix=p/,manifests_prefix={'m' * 1030}/,name=app",
            "manifests_prefix",
            "manifests_prefix: the manifest key of cache 1 would be 1036 bytes",
            id="manifests-prefix-alone-too-long",
        ),
    ],
)
@pytest.mark.parametrize("direction", ["to", "from"])
def test_longer_keys_are_refused_at_the_attribute(
    text: str, attribute: str, summary: str, direction: str
) -> None:
    with pytest.raises(SpecError) as error:
        parse(text, direction)

    assert error.value.attribute == attribute
    assert error.value.exit_code == 2
    assert error.value.message.startswith(f"{summary}; S3 takes at most 1024")


def test_the_caret_marks_the_name_that_is_too_long() -> None:
    long_name = "x" * 1100

    with pytest.raises(SpecError) as error:
        parse(f"{BASE},name=ok;{long_name}")

    start, end = error.value.span
    assert error.value.text[start:end] == long_name
    assert "a name of at most 1014 bytes" in error.value.message


def test_export_refuses_a_long_name_before_uploading(
    run_cli, bucket, local_fixture
) -> None:
    spec = bucket.spec(name="n" * 1020)

    result = run_cli("export", str(local_fixture("run-max")), "--cache-to", spec)

    assert result.exit_code == 2
    assert "name: the manifest key of cache 1 would be 1030 bytes" in result.stderr
    assert bucket.keys() == []
