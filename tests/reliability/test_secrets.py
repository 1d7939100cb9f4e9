"""No secret key or session token in any output: at every verbosity, in
botocore's own errors and debug logs, in tracebacks under --debug, in --json.

The flag strings carry the server's real key and secret, so requests are
signed, and a session token, which SeaweedFS refuses: every command then
fails on credentials, which is when an error is most tempted to say them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.seaweed import ACCESS_KEY, SECRET_KEY
from tests.reliability.conftest import leaked
from tests.reliability.dataset import Dataset

REPO = Path(__file__).resolve().parents[2]
TOKEN = "IQoJb3JpZ2luX2VjEFAKE/session+token=="
SECRETS = (SECRET_KEY, TOKEN)
VERBOSITIES = ["-q", "", "-v", "--debug"]
DATA = Dataset((b"a layer", b"another layer"))


def with_token(spec: str) -> str:
    return (
        f"{spec},access_key_id={ACCESS_KEY},secret_access_key={SECRET_KEY},"
        f"session_token={TOKEN}"
    )


def command_line(command: str, bucket, tmp_path: Path) -> list[str]:
    if command == "export":
        source = DATA.write_local(tmp_path / "source")
        return ["export", str(source), "--cache-to", with_token(bucket.spec())]
    if command == "import":
        spec = with_token(bucket.spec(name="app"))
        return ["import", "--cache-from", spec, str(tmp_path / "dest")]
    if command == "inspect":
        return [
            "inspect",
            "--check",
            "--deep",
            "--cache-from",
            with_token(bucket.spec()),
        ]
    return ["prune", "--force", "--all", "--cache-to", with_token(bucket.spec())]


def run_process(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = subprocess.run(
        [sys.executable, "-m", "s3cache_cli", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return process.returncode, process.stdout + process.stderr


@pytest.fixture
def seeded(bucket, tmp_path):
    DATA.put_into(bucket, "app", tmp_path)
    return bucket


COMMANDS = ["export", "import", "inspect", "prune"]
# Each command at each verbosity in the heavy runs; in the others each
# command and each verbosity once (the fault matrix adds many more).
EVERY_PAIR = [
    pytest.param(
        command,
        verbosity,
        marks=[] if (c + v) % len(COMMANDS) == 0 else [pytest.mark.heavy],
        id=f"{command}{verbosity or '-default'}",
    )
    for c, command in enumerate(COMMANDS)
    for v, verbosity in enumerate(reversed(VERBOSITIES))
]


@pytest.mark.parametrize(("command", "verbosity"), EVERY_PAIR)
def test_a_refused_session_token_and_the_secret_are_never_printed(
    run_cli, seeded, tmp_path, command: str, verbosity: str
) -> None:
    args = [*command_line(command, seeded, tmp_path), "--json"]
    if verbosity:
        args.append(verbosity)

    if verbosity == "--debug":
        # --debug shows the traceback: run it where a traceback can print.
        code, output = run_process(*args)
        assert "Traceback" in output
        assert "Authorization" in output or "X-Amz-Security-Token" in output
    else:
        result = run_cli(*args)
        code, output = result.exit_code, result.output
        assert code == 4, output
        assert "Traceback" not in output

    assert leaked(output, SECRETS) == [], output


def test_secrets_from_the_environment_are_masked_in_debug_logs(
    seeded, tmp_path
) -> None:
    env = {"AWS_SESSION_TOKEN": TOKEN, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}

    _, output = run_process(
        "inspect", "--debug", "--cache-from", seeded.spec(), env=env
    )

    assert "X-Amz-Security-Token" in output
    assert leaked(output, SECRETS) == [], output


def test_a_wrong_secret_in_the_flag_string_is_never_printed(
    run_cli, seeded, tmp_path
) -> None:
    wrong = "wrong-secret-" + "x" * 27
    spec = seeded.spec(name="app", access_key_id=ACCESS_KEY, secret_access_key=wrong)

    for verbosity in ("-q", "-v"):
        result = run_cli("import", "--cache-from", spec, str(tmp_path / "d"), verbosity)
        assert result.exit_code == 4, result.output
        assert "secret access key does not match" in result.stderr
        assert leaked(result.output, (wrong,)) == []

    _, output = run_process(
        "import", "--debug", "--cache-from", spec, str(tmp_path / "d")
    )
    assert "SignatureDoesNotMatch" in output
    assert leaked(output, (wrong,)) == [], output


def test_the_json_document_masks_every_secret(run_cli, seeded) -> None:
    spec = f"{seeded.spec()},access_key_id={ACCESS_KEY},secret_access_key={SECRET_KEY}"

    result = run_cli("inspect", "--cache-from", spec, "--json")

    assert result.exit_code == 0, result.output
    assert result.json["store"]["spec"]["secret_access_key"] == "***"
    assert leaked(result.output, SECRETS) == []
