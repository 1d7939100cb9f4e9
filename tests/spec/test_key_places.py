"""Flag strings whose keys a store would mangle or mix up are usage errors:
buckets no S3 client can name, cache names with empty, '.' or '..' parts,
and manifests_prefix/blobs_prefix that would put manifests and blobs under
the same keys."""

from __future__ import annotations

import pytest

from s3cache_cli.spec import SpecError, parse_cache_spec

BASE = "type=s3,bucket=b,region=r"


def parse(text: str):
    return parse_cache_spec(text, direction="to", environ={})


def refusal(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "attribute", "reason"),
    [
        (f"{BASE},manifests_prefix=blobs/", "manifests_prefix", "listed as a cache"),
        (f"{BASE},blobs_prefix=manifests/", "blobs_prefix", "listed as a cache"),
        (f"{BASE},blobs_prefix=manifests/b/", "blobs_prefix", "listed as a cache"),
        (f"{BASE},manifests_prefix=", "manifests_prefix", "listed as a cache"),
        (f"{BASE},blobs_prefix=x,manifests_prefix=x", "manifests_prefix", "listed"),
        (f"{BASE},blobs_prefix=m/,manifests_prefix=m/sha", "manifests_prefix", "over"),
        (
            f"{BASE},blobs_prefix=m/,manifests_prefix=m/sha256:ab",
            "manifests_prefix",
            "written over a blob",
        ),
    ],
)
def test_manifests_and_blobs_that_could_share_keys_are_refused(
    text: str, attribute: str, reason: str
) -> None:
    error = refusal(text)

    assert error.attribute == attribute
    assert "overlap" in error.message
    assert reason in error.message


@pytest.mark.parametrize(
    "text",
    [
        f"{BASE},blobs_prefix=",  # blobs at the prefix, manifests in manifests/
        f"{BASE},blobs_prefix=m/,manifests_prefix=m/c/",
        f"{BASE},prefix=team1/,blobs_prefix=b/,manifests_prefix=m/",
        f"{BASE},prefix=blobs/",
    ],
)
def test_prefixes_that_keep_manifests_and_blobs_apart_are_accepted(text) -> None:
    spec = parse(text)

    assert not spec.blobs_root.startswith(spec.manifests_root)


@pytest.mark.parametrize("name", ["a/", "/a", "a//b", ".", "..", "a/../b", "a/./b"])
def test_a_name_a_store_would_rewrite_is_refused(name: str) -> None:
    error = refusal(f"{BASE},name=main;{name}")

    assert error.attribute == "name"
    assert f"cache name '{name}' has an empty, '.' or '..' part" in error.message


@pytest.mark.parametrize("name", ["feature/login", "a.b", "..a", "a..", "v1.2/x"])
def test_names_with_dots_and_slashes_inside_parts_are_accepted(name: str) -> None:
    assert parse(f"{BASE},name={name}").names == (name,)


@pytest.mark.parametrize(
    ("field", "shown"),
    [('"bucket=x,y"', "','"), ("bucket=a*", "'*'"), ("bucket=ü", "'ü'")],
)
def test_a_bucket_name_no_client_can_send_is_refused(field: str, shown: str):
    error = refusal(f"type=s3,{field},region=r")

    assert error.attribute == "bucket"
    assert f"holds {shown}" in error.message


def test_a_bucket_name_over_255_characters_is_refused() -> None:
    error = refusal(f"type=s3,bucket={'b' * 256},region=r")

    assert error.attribute == "bucket"
    assert "256 characters" in error.message


@pytest.mark.parametrize(
    "bucket",
    ["ci-cache", "Legacy_Bucket.1", "arn:aws:s3:eu-west-1:123456789012:accesspoint/ap"],
)
def test_bucket_names_other_stores_and_access_points_take_are_accepted(bucket):
    assert parse(f"type=s3,bucket={bucket},region=r").bucket == bucket


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        (f"{BASE},prefix=team1//", "prefix"),
        (f"{BASE},prefix=/team1/", "prefix"),
        (f"{BASE},prefix=../p/", "prefix"),
        (f"{BASE},prefix=p/..", "prefix"),
        (f"{BASE},manifests_prefix=m//", "manifests_prefix"),
        (f"{BASE},blobs_prefix=./b/", "blobs_prefix"),
        (f"{BASE},blobs_prefix=/b/", "blobs_prefix"),
    ],
)
def test_a_prefix_a_store_would_rewrite_is_refused(text: str, attribute: str) -> None:
    error = refusal(text)

    assert error.attribute == attribute
    assert "'/'" in error.message or "ends in" in error.message


@pytest.mark.parametrize(
    "field",
    ["prefix=team1/", "prefix=ci/cache/", "prefix=team1-", "prefix=a.b/..c/"],
)
def test_prefixes_of_path_parts_are_accepted(field: str) -> None:
    parse(f"{BASE},{field}")


@pytest.mark.parametrize(
    ("bucket", "reason"),
    [
        ("arn:aws:s3:::my-bucket", "the ARN of a bucket"),
        ("arn:nonsense", "not an access point ARN"),
        ("..", "starts or ends"),
        ("-cache", "starts or ends"),
        ("cache.", "starts or ends"),
    ],
)
def test_a_bucket_no_store_takes_is_refused(bucket: str, reason: str) -> None:
    error = refusal(f"type=s3,bucket={bucket},region=r")

    assert error.attribute == "bucket"
    assert reason in error.message


def test_a_bucket_arn_says_which_name_to_give() -> None:
    error = refusal("type=s3,bucket=arn:aws:s3:::my-bucket,region=r")

    assert "bucket=my-bucket" in str(error)
