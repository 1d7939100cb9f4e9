from __future__ import annotations

import threading
import time

import pytest

from s3cache_cli.s3.transfer import CancelToken, run_parallel


def test_results_come_back_in_job_order() -> None:
    def slow_square(n: int, cancel: CancelToken) -> int:
        time.sleep(0.01 * (5 - n))
        return n * n

    assert run_parallel(range(5), slow_square, parallelism=3) == [0, 1, 4, 9, 16]


def test_first_failure_stops_queued_jobs_and_is_raised() -> None:
    started: list[int] = []

    def work(n: int, cancel: CancelToken) -> int:
        started.append(n)
        if n == 0:
            raise ValueError("blob 0 is corrupt")
        time.sleep(0.05)
        return n

    with pytest.raises(ValueError, match="blob 0 is corrupt"):
        run_parallel(list(range(50)), work, parallelism=2)

    assert len(started) < 50


def test_running_jobs_see_the_cancel_before_the_error_is_raised() -> None:
    stopped = threading.Event()

    def work(n: int, cancel: CancelToken) -> None:
        if n == 0:
            time.sleep(0.05)
            raise RuntimeError("upload failed")
        while not cancel.cancelled:
            time.sleep(0.01)
        stopped.set()

    with pytest.raises(RuntimeError):
        run_parallel([0, 1], work, parallelism=2)

    assert stopped.is_set()


def test_no_jobs_is_no_work() -> None:
    assert run_parallel([], lambda job, cancel: job, parallelism=4) == []
