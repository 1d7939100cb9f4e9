"""Faults that never go away: exit 1, a message that names what failed, and
nothing broken published (no manifest naming a missing blob, no index.json
entry naming a missing or corrupt blob, no partial file under a final name).

botocore tries each request once here (``retry_max_attempts=1``), so the
retries that run out are s3cache's own and the tests stay quick.
"""

from __future__ import annotations

import pytest

from tests.export.cachebuilder import digest_of
from tests.faults.proxy import Fault, Rule
from tests.reliability.dataset import (
    Dataset,
    local_problems,
    misnamed_blobs,
    partial_files,
    pending_uploads,
    s3_problems,
)
from tests.reliability.scenarios import Copy, Export, Import, Inspect, Prune, Setup


@pytest.fixture
def where(bucket, tmp_path, make_proxy, small_transfers, short_read_timeout, no_pauses):
    return Setup(bucket, tmp_path, make_proxy(seed=3), Dataset.make(seed=3))


def big_blob_path(where: Setup, prefix: str = "") -> str:
    return rf"/{prefix}blobs/{digest_of(where.dataset.blobs[0])}$"


def one_error_line(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def run(cli, args: list[str]):
    return cli(*args, "--json")


def with_one_try(args: list[str]) -> list[str]:
    """The same command with botocore trying each request once."""
    return [
        f"{arg},retry_max_attempts=1" if arg.startswith("type=s3") else arg
        for arg in args
    ]


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        pytest.param(
            Rule(Fault.INTERNAL_ERROR, method="PUT", path="/blobs/"),
            "InternalError",
            id="every-put-500",
        ),
        pytest.param(
            Rule(Fault.SLOW_DOWN, method="PUT", query="partNumber=2"),
            "SlowDown",
            id="one-part-throttled-for-good",
        ),
        pytest.param(
            Rule(Fault.RESET_BEFORE_RESPONSE, method="PUT", path="/blobs/"),
            "Connection was closed",
            id="every-put-reset",
        ),
    ],
)
def test_export_that_cannot_upload_publishes_nothing(
    cli, where: Setup, rule: Rule, named: str
) -> None:
    export = Export()
    args = with_one_try(export.prepare(where))
    where.proxy.add_rule(rule)

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert "blobs/sha256:" in line and named in line
    export.check_failed(where, result)


def test_copy_whose_source_is_damaged_on_every_read_publishes_nothing(
    cli, where: Setup
) -> None:
    copy = Copy()
    args = with_one_try(copy.prepare(where))
    where.proxy.add_rule(
        Rule(Fault.FLIP_BYTE, method="GET", path=big_blob_path(where, "src/"))
    )

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    big = digest_of(where.dataset.blobs[0])
    assert f"does not match {big}" in one_error_line(result)
    copy.check_failed(where, result)
    assert f"blobs/{big}" not in where.bucket.keys("blobs/")


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        pytest.param(Fault.INTERNAL_ERROR, "InternalError", id="500"),
        pytest.param(Fault.FLIP_BYTE, "does not match", id="flip-byte"),
        pytest.param(Fault.CUT_BODY, "blobs/sha256:", id="cut-body"),
        pytest.param(Fault.STALL, "timed out", id="stall", marks=pytest.mark.heavy),
        pytest.param(Fault.RESET_AFTER_HEAD, "blobs/sha256:", id="reset-after-head"),
    ],
)
def test_import_of_a_blob_that_never_arrives_writes_no_index(
    cli, where: Setup, fault: Fault, named: str
) -> None:
    importer = Import()
    args = with_one_try(importer.prepare(where))
    where.proxy.add_rule(Rule(fault, method="GET", path=big_blob_path(where)))

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    assert named in one_error_line(result)
    importer.check_failed(where, result)
    big = digest_of(where.dataset.blobs[0]).split(":")[1]
    assert not (importer.dest / "blobs" / "sha256" / big).exists()


def test_a_failed_import_leaves_the_tags_already_there(cli, where: Setup) -> None:
    importer = Import()
    args = with_one_try(importer.prepare(where))
    Dataset.make(seed=99, big_parts=0).write_local(importer.dest, tag="main")
    before = (importer.dest / "index.json").read_bytes()
    where.proxy.add_rule(Rule(Fault.INTERNAL_ERROR, method="GET", path="/blobs/"))

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    assert (importer.dest / "index.json").read_bytes() == before
    assert local_problems(importer.dest) == []
    assert partial_files(importer.dest) == []


def test_an_unreadable_manifest_stops_import_before_any_write(
    cli, where: Setup
) -> None:
    importer = Import()
    args = with_one_try(importer.prepare(where))
    where.proxy.add_rule(Rule(Fault.CUT_BODY, method="GET", path="/manifests/app$"))

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    assert "manifests/app" in one_error_line(result)
    assert not importer.dest.exists()


def test_inspect_that_cannot_read_a_blob_says_which(cli, where: Setup) -> None:
    inspect = Inspect()
    args = with_one_try(inspect.prepare(where))
    where.proxy.add_rule(
        Rule(Fault.INTERNAL_ERROR, method="GET", path=big_blob_path(where))
    )

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    assert digest_of(where.dataset.blobs[0]) in one_error_line(result)
    inspect.check_failed(where, result)


def test_prune_whose_deletes_all_fail_leaves_every_cache_whole(
    cli, where: Setup
) -> None:
    prune = Prune()
    args = with_one_try(prune.prepare(where))
    where.proxy.add_rule(Rule(Fault.INTERNAL_ERROR, method="POST", query="delete"))

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    assert "could not be deleted" in one_error_line(result)
    prune.check_failed(where, result)
    assert len(where.bucket.keys("blobs/")) > len(where.dataset.blobs)


def test_prune_that_cannot_read_one_manifest_deletes_nothing(cli, where: Setup) -> None:
    prune = Prune()
    args = with_one_try(prune.prepare(where))
    before = where.bucket.keys()
    where.proxy.add_rule(
        Rule(Fault.INTERNAL_ERROR, method="GET", path="/manifests/keep-b$")
    )

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert "keep-b" in line and "prune stopped before deleting any blob" in line
    assert where.bucket.keys() == before
    assert s3_problems(where.bucket) == []


def test_export_interrupted_by_failure_aborts_its_multipart_upload(
    cli, where: Setup
) -> None:
    export = Export()
    args = with_one_try(export.prepare(where))
    where.proxy.add_rule(Rule(Fault.INTERNAL_ERROR, method="POST", query="uploadId="))

    result = run(cli, args)

    assert result.exit_code == 1, result.output
    assert "InternalError" in one_error_line(result)
    assert pending_uploads(where.bucket) == []
    assert where.bucket.keys("manifests/") == []
    assert misnamed_blobs(where.tmp / "source") == []
