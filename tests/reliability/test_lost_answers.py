"""Requests the server carried out whose answer the network lost.

The retry then asks for something already done: complete an upload that is
complete, delete a manifest that is gone. s3cache must see that the work is
done, not fail or report it wrongly.
"""

from __future__ import annotations

import pytest

from tests.faults.proxy import Fault, Rule
from tests.reliability.dataset import Dataset, pending_uploads, stored_blobs
from tests.reliability.scenarios import Export, Prune, Setup


@pytest.fixture
def where(bucket, tmp_path, make_proxy, small_transfers, short_read_timeout):
    return Setup(bucket, tmp_path, make_proxy(seed=5), Dataset.make(seed=5))


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault.RESET_AFTER_HEAD, id="reset-after-head"),
        pytest.param(Fault.CUT_BODY, id="cut-body"),
    ],
)
def test_a_completed_upload_whose_answer_was_lost_counts_as_done(
    cli, where: Setup, fault: Fault
) -> None:
    export = Export()
    args = export.prepare(where)
    where.proxy.add_rule(Rule(fault, method="POST", query="uploadId=", nth=1))

    result = cli(*args, "--json")

    assert result.exit_code == 0, result.output
    assert len(where.proxy.hits) == 1
    assert stored_blobs(where.bucket) == where.dataset.digests
    assert where.bucket.keys("manifests/") == ["manifests/app"]
    assert pending_uploads(where.bucket) == []


def test_a_manifest_delete_whose_answer_was_lost_is_reported_as_deleted(
    cli, where: Setup
) -> None:
    prune = Prune()
    args = prune.prepare(where)
    where.proxy.add_rule(
        Rule(Fault.RESET_AFTER_HEAD, method="DELETE", path="/manifests/old$", nth=1)
    )

    result = cli(*args, "--json")

    assert result.exit_code == 0, result.output
    assert len(where.proxy.hits) == 1
    assert [cache["name"] for cache in result.json["caches_deleted"]] == ["old"]
    assert result.json["caches_changed"] == []
    prune.check(where, result)
