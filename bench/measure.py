"""Run one command as a child process and measure what it cost the client.

CPU time and peak RSS come from the kernel's resource usage of the child
(``os.wait4``), which also counts the children it waited for, so a wrapper
script does not hide the real work.

The child is started by a small launcher process rather than by this one:
Linux carries the RSS of the process that forks into the child's
``ru_maxrss`` when the child execs, so a child forked from the benchmark
(boto3 loaded, tens of MiB) would report at least that much. The launcher
is a bare interpreter (``-I -S``, about 10 MiB), below every tool measured;
it times the child itself, so its own start-up is not in the wall time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = """\
import os, sys, time
result, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(result, "w") as out:
    out.write(f"{wall} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} ")
    out.write(f"{os.waitstatus_to_exitcode(status)}")
"""


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    cpu_s: float
    max_rss_mib: float
    exit_code: int


def run_measured(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    log_path: Path,
    timeout_s: float = 3600.0,
) -> Measurement:
    """Run ``argv`` with its stdout and stderr in ``log_path``; wait and measure."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    result_path = log_path.with_suffix(".rusage")
    result_path.unlink(missing_ok=True)
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(result_path), *argv]

    with open(log_path, "wb") as log:
        started = time.perf_counter()
        exit_code = _run_with_deadline(launcher, env, log, timeout_s)
        wall = time.perf_counter() - started

    if not result_path.exists():
        # The launcher could not start the command (or was killed); the log
        # says why. Nothing was measured, so no number goes out.
        return Measurement(wall, 0.0, 0.0, exit_code or -1)
    return _read_result(result_path)


def _run_with_deadline(argv: list[str], env, log, timeout_s: float) -> int:
    child = subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    watchdog = threading.Timer(timeout_s, _kill_group, (child.pid,))
    watchdog.start()
    try:
        return child.wait()
    except BaseException:
        _kill_group(child.pid)
        child.wait()
        raise
    finally:
        watchdog.cancel()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _read_result(path: Path) -> Measurement:
    wall, cpu, max_rss_kib, exit_code = path.read_text().split()
    path.unlink()
    return Measurement(
        wall_s=float(wall),
        cpu_s=float(cpu),
        max_rss_mib=int(max_rss_kib) / 1024,  # Linux reports KiB
        exit_code=int(exit_code),
    )
