"""Ctrl-C as a command ends: once its result is out, that is the outcome.

A command that has written its result has done its work; an interruption
then must not add an error to it, turn its exit status into 130, or kill
the process with the signal on its way out.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from s3cache_cli.cli.app import App
from tests.reliability import child

OUTPUTS = [pytest.param([], id="text"), pytest.param(["--json"], id="json")]


@pytest.mark.parametrize("json_flag", OUTPUTS)
def test_ctrl_c_held_down_once_the_result_is_out_changes_nothing(
    buildkit_s3_bucket, tmp_path, json_flag: list[str]
) -> None:
    spec = buildkit_s3_bucket.spec(name="app")
    process = child.start("import", *json_flag, str(tmp_path), "--cache-from", spec)

    first_line = process.stdout.readline()
    while process.poll() is None:
        process.send_signal(signal.SIGINT)
        time.sleep(0.001)
    # Not communicate(): it would skip what readline has buffered.
    stdout = first_line + process.stdout.read()
    stderr = process.stderr.read()

    assert process.returncode == 0, (stdout, stderr)
    assert "nterrupt" not in stderr
    assert "Abort" not in stderr
    if json_flag:
        assert "error" not in json.loads(stdout)


@pytest.mark.parametrize("json_flag", OUTPUTS)
@pytest.mark.parametrize("moment", ["result", "finish"])
def test_ctrl_c_right_after_the_result_leaves_only_the_result(
    run_cli, buildkit_s3_bucket, tmp_path, monkeypatch, moment, json_flag
) -> None:
    interrupt_after(monkeypatch, moment)
    spec = buildkit_s3_bucket.spec(name="app")

    result = run_cli("import", *json_flag, str(tmp_path), "--cache-from", spec)

    assert result.exit_code == 0, result.output
    assert "interrupted" not in result.stderr
    if json_flag:
        document = result.json
        assert "error" not in document
        assert document["blobs"]["downloaded"] == document["blobs"]["total"]


def interrupt_after(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """Press Ctrl-C on this process as soon as ``App.<method>`` returns."""
    original = getattr(App, method)

    def then_interrupt(self: App, *args: object) -> None:
        original(self, *args)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(App, method, then_interrupt)
