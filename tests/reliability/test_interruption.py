"""Ctrl-C and kill -9 at random moments of an export or an import.

The CLI runs in a process of its own (with small multipart sizes) and talks
through the fault proxy, which injects nothing here: it counts the requests,
so that "a random moment" is a random point of the transfer, whatever the
speed of the machine. Afterwards nothing broken is published, Ctrl-C has
said one line and aborted its multipart uploads, and the next run finishes
the job and transfers only what is missing.
"""

from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass

import pytest

from tests.reliability import child
from tests.reliability.conftest import with_credentials
from tests.reliability.dataset import (
    Dataset,
    local_problems,
    partial_files,
    pending_uploads,
    s3_problems,
    stored_blobs,
    valid_local_blobs,
)

INTERRUPTED = "error: interrupted\n"


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    signalled: bool


def run_until(args: list[str], proxy, requests: int, sig: int) -> Outcome:
    """Run the CLI; send ``sig`` once the proxy has answered ``requests``."""
    process = child.start(*args)
    deadline = time.monotonic() + 60
    while len(proxy.requests) < requests and process.poll() is None:
        assert time.monotonic() < deadline, "the transfer did not get going"
        time.sleep(0.001)

    signalled = process.poll() is None
    if signalled:
        process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=60)
    return Outcome(process.returncode, stdout, stderr, signalled)


def assert_ctrl_c_said_one_line(outcome: Outcome) -> None:
    if outcome.signalled:
        assert outcome.returncode == 130, outcome.stderr
        assert outcome.stderr == INTERRUPTED
    else:
        assert outcome.returncode == 0, outcome.stderr


def a_moment(seed: int, requests: int) -> int:
    """A request number somewhere in a transfer of about ``requests``."""
    return random.Random(seed).randrange(2, requests)


# -- export ---------------------------------------------------------------------


@pytest.fixture
def exporting(bucket, tmp_path, make_proxy, cli):
    """``exporting(seed, sig, dataset)``: interrupt an export, run it again."""

    def run(seed: int, sig: int, dataset: Dataset):
        proxy = make_proxy(seed)
        source = dataset.write_local(tmp_path / "source")
        spec = with_credentials(
            bucket.spec(
                name="app", endpoint_url=proxy.endpoint_url, upload_parallelism="2"
            )
        )
        args = ["export", str(source), "--cache-to", spec, "-q"]
        # A HEAD and a PUT a blob, a multipart upload, a listing, a manifest.
        moment = a_moment(seed, 2 * len(dataset.blobs) + 6)
        outcome = run_until(args, proxy, moment, sig)

        if sig in (signal.SIGINT, signal.SIGTERM):
            assert_ctrl_c_said_one_line(outcome)
            assert pending_uploads(bucket) == []
        assert s3_problems(bucket) == []
        stored = settled_blobs(bucket) & dataset.digests
        if bucket.keys("manifests/"):
            assert stored == dataset.digests

        again = cli(*args[:-1], "--json")
        assert again.exit_code == 0, again.output
        assert again.json["blobs"]["upload"] == len(dataset.digests - stored)
        assert again.json["blobs"]["present"] == len(stored)
        assert s3_problems(bucket) == []
        assert stored_blobs(bucket) == dataset.digests
        return outcome

    return run


def settled_blobs(bucket) -> set[str]:
    """The blobs stored once the server is done: a PUT whose whole body it
    had when the client was killed still lands a moment later."""
    stored = stored_blobs(bucket)
    for _ in range(20):
        time.sleep(0.2)
        again = stored_blobs(bucket)
        if again == stored:
            return stored
        stored = again
    return stored


def export_data(seed: int) -> Dataset:
    return Dataset.make(seed=seed, small=8, big_parts=3)


@pytest.mark.parametrize("seed", [1, 2])
def test_ctrl_c_during_export_aborts_uploads_and_a_rerun_finishes(
    exporting, small_transfers, seed: int
) -> None:
    outcome = exporting(seed, signal.SIGINT, export_data(seed))

    assert outcome.returncode in (0, 130)


def test_sigterm_during_export_is_ctrl_c(exporting, small_transfers) -> None:
    """What a cancelled CI job or ``docker stop`` sends first."""
    outcome = exporting(3, signal.SIGTERM, export_data(3))

    assert outcome.returncode in (0, 130)


@pytest.mark.parametrize("seed", [4, 5])
def test_kill_9_during_export_publishes_nothing_broken_and_a_rerun_finishes(
    exporting, bucket, cli, small_transfers, seed: int
) -> None:
    outcome = exporting(seed, signal.SIGKILL, export_data(seed))
    assert outcome.returncode in (0, -signal.SIGKILL)

    # What a killed upload leaves, prune takes away; the cache stays whole.
    prune = cli("prune", "--force", "--grace", "0s", "--cache-to", bucket.spec())
    assert prune.exit_code == 0, prune.output
    assert pending_uploads(bucket) == []
    assert s3_problems(bucket) == []


@pytest.mark.heavy
@pytest.mark.parametrize("seed", range(10, 16))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["int", "kill"])
def test_export_interrupted_at_many_moments(
    exporting, small_transfers, seed: int, sig: int
) -> None:
    data = Dataset.make(seed=seed, small=30, big_parts=4)
    outcome = exporting(seed, sig, data)

    assert outcome.returncode in (0, 130, -signal.SIGKILL)


# -- import ---------------------------------------------------------------------


@pytest.fixture
def importing(bucket, tmp_path, make_proxy, cli):
    """``importing(seed, sig, dataset)``: interrupt an import, run it again."""

    def run(seed: int, sig: int, dataset: Dataset):
        proxy = make_proxy(seed)
        dataset.put_into(bucket, "app", tmp_path)
        dest = tmp_path / "imported"
        spec = with_credentials(
            bucket.spec(name="app", endpoint_url=proxy.endpoint_url)
        )
        args = ["import", "--cache-from", spec, str(dest), "-q"]
        # The manifest, then the small blobs whole and the big one in 1 MiB parts.
        big = -(-len(dataset.blobs[0]) // (1024 * 1024))
        moment = a_moment(seed, len(dataset.blobs) + big + 1)
        outcome = run_until(args, proxy, moment, sig)

        if sig in (signal.SIGINT, signal.SIGTERM):
            assert_ctrl_c_said_one_line(outcome)
            assert partial_files(dest) == []
        assert local_problems(dest) == []
        present = valid_local_blobs(dest) & dataset.digests

        again = cli(*args[:-1], "--json")
        assert again.exit_code == 0, again.output
        assert again.json["blobs"]["downloaded"] == len(dataset.digests - present)
        assert again.json["blobs"]["present"] == len(present)
        assert local_problems(dest) == []
        assert valid_local_blobs(dest) >= dataset.digests
        return outcome, dest

    return run


def import_data(seed: int) -> Dataset:
    return Dataset.make(seed=seed, small=8, big_parts=2)


@pytest.mark.parametrize("seed", [1, 2])
def test_ctrl_c_during_import_leaves_no_partial_file_and_a_rerun_finishes(
    importing, small_transfers, seed: int
) -> None:
    outcome, dest = importing(seed, signal.SIGINT, import_data(seed))

    assert outcome.returncode in (0, 130)
    assert partial_files(dest) == []


def test_sigterm_during_import_is_ctrl_c(importing, small_transfers) -> None:
    outcome, dest = importing(3, signal.SIGTERM, import_data(3))

    assert outcome.returncode in (0, 130)
    assert partial_files(dest) == []


@pytest.mark.parametrize("seed", [4, 5])
def test_kill_9_during_import_leaves_leftovers_that_prune_removes(
    importing, cli, small_transfers, seed: int
) -> None:
    outcome, dest = importing(seed, signal.SIGKILL, import_data(seed))
    assert outcome.returncode in (0, -signal.SIGKILL)

    inspect = cli("inspect", "--cache-from", f"type=local,src={dest}", "--json")
    assert inspect.exit_code == 0, inspect.output
    assert inspect.json["storage"]["foreign"] == []
    prune = cli(
        "prune", "--force", "--grace", "0s", "--cache-to", f"type=local,dest={dest}"
    )
    assert prune.exit_code == 0, prune.output
    assert partial_files(dest) == []
    assert local_problems(dest) == []


@pytest.mark.heavy
@pytest.mark.parametrize("seed", range(10, 16))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["int", "kill"])
def test_import_interrupted_at_many_moments(
    importing, small_transfers, seed: int, sig: int
) -> None:
    data = Dataset.make(seed=seed, small=30, big_parts=4)
    outcome, _ = importing(seed, sig, data)

    assert outcome.returncode in (0, 130, -signal.SIGKILL)
