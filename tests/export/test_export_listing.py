"""An export learns which blobs exist from a listing, and falls back to HEAD."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from s3cache_cli.export import listing
from s3cache_cli.export.listing import Listing, page_budget
from tests.export.test_export_fixture import RUN_MAX_BLOBS, S3_FIXTURE, export


@pytest.mark.parametrize(
    ("wanted", "pages"),
    [
        pytest.param(0, 1, id="nothing-still-one-page"),
        pytest.param(1, 1, id="one-blob"),
        pytest.param(250, 1, id="a-full-share"),
        pytest.param(251, 2, id="one-more"),
        pytest.param(5000, 20, id="many"),
    ],
)
def test_the_page_budget_grows_with_the_blobs_wanted(wanted: int, pages: int) -> None:
    assert page_budget(wanted) == pages


@pytest.mark.parametrize(
    ("seen", "key", "known"),
    [
        pytest.param(Listing(), "blobs/a", False, id="nothing-listed"),
        pytest.param(Listing(seen_up_to="blobs/m"), "blobs/a", True, id="before"),
        pytest.param(Listing(seen_up_to="blobs/m"), "blobs/m", True, id="the-last"),
        pytest.param(Listing(seen_up_to="blobs/m"), "blobs/z", False, id="after"),
        pytest.param(Listing(complete=True), "blobs/z", True, id="complete"),
    ],
)
def test_a_listing_settles_only_keys_it_has_passed(
    seen: Listing, key: str, known: bool
) -> None:
    assert seen.knows(key) is known


def test_a_listing_cut_short_leaves_the_later_blobs_to_head(
    run_cli, bucket, local_fixture, s3_calls, monkeypatch
) -> None:
    source = local_fixture("run-max")
    export(run_cli, source, bucket.spec(name="app"))
    s3_calls.calls.clear()
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)

    document = export(run_cli, source, bucket.spec(name="app"))

    assert document["blobs"] == {"upload": 0, "touch": 0, "present": 6}
    assert s3_calls.operations() == (
        ["ListObjectsV2"] + ["HeadObject"] * 4 + ["PutObject"]
    )
    headed = sorted(c.key for c in s3_calls.calls if c.operation == "HeadObject")
    assert headed == [f"blobs/{name}" for name in RUN_MAX_BLOBS[2:]]


def test_a_listed_blob_of_the_wrong_size_is_sent_again(
    run_cli, bucket, local_fixture
) -> None:
    damaged = f"blobs/{RUN_MAX_BLOBS[0]}"
    bucket.put(damaged, b"short")

    document = export(run_cli, local_fixture("run-max"), bucket.spec(name="app"))

    assert document["blobs"]["upload"] == 6
    assert bucket.get(damaged) == (S3_FIXTURE / damaged).read_bytes()


def test_blobs_of_other_caches_in_the_listing_change_nothing(
    run_cli, bucket, local_fixture
) -> None:
    other = "blobs/sha256:" + "0" * 64
    bucket.put(other, b"another cache's blob")

    document = export(run_cli, local_fixture("run-max"), bucket.spec(name="app"))

    assert document["blobs"]["upload"] == 6
    assert bucket.get(other) == b"another cache's blob"


def test_credentials_that_may_not_list_head_every_blob(
    run_cli, bucket, local_fixture, s3_calls
) -> None:
    def refuse(**_: object) -> None:
        response = {
            "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        raise ClientError(response, "ListObjectsV2")

    source = local_fixture("run-max")
    export(run_cli, source, bucket.spec(name="app"))
    s3_calls.calls.clear()
    s3_calls.on("before-send.s3.ListObjectsV2", refuse)

    document = export(run_cli, source, bucket.spec(name="app"))

    assert document["blobs"] == {"upload": 0, "touch": 0, "present": 6}
    assert s3_calls.count("HeadObject", key_prefix="blobs/") == 6
