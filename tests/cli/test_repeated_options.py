"""A flag string option given twice where a command takes one is a usage
error naming the option; none is dropped without a word. import's repeated
--cache-from stays a list of caches to try in order."""

from __future__ import annotations

import json

import pytest

S3_A = "type=s3,bucket=first,region=us-east-1"
S3_B = "type=s3,bucket=second,region=us-east-1"


def twice(flag: str, spec: str) -> tuple[str, ...]:
    """``flag`` with two directories, ``a`` and ``b``."""
    return (flag, f"{spec}a", flag, f"{spec}b")


@pytest.mark.parametrize(
    ("args", "flag", "command"),
    [
        pytest.param(
            ("export", "d", "--cache-to", S3_A, "--cache-to", S3_B),
            "--cache-to",
            "export",
            id="export-cache-to",
        ),
        pytest.param(
            ("export", "--cache-to", S3_A, *twice("--cache-from", "type=local,src=")),
            "--cache-from",
            "export",
            id="export-cache-from",
        ),
        pytest.param(
            ("inspect", "--cache-from", S3_A, "--cache-from", S3_B),
            "--cache-from",
            "inspect",
            id="inspect",
        ),
        pytest.param(
            ("prune", "-f", *twice("--cache-to", "type=local,dest=")),
            "--cache-to",
            "prune",
            id="prune-cache-to",
        ),
        pytest.param(
            ("prune", "-f", "--cache-from", S3_A, "--cache-from", S3_A),
            "--cache-from",
            "prune",
            id="prune-cache-from-same-twice",
        ),
        pytest.param(
            ("import", "--cache-from", S3_A, *twice("--cache-to", "type=local,dest=")),
            "--cache-to",
            "import",
            id="import-cache-to",
        ),
    ],
)
def test_a_repeated_single_option_is_refused(run_cli, args, flag, command) -> None:
    result = run_cli(*args)

    assert result.exit_code == 2
    assert (
        f"Error: {flag} was given 2 times, but s3cache {command} takes one {flag}; "
        "run it once for each" in result.stderr
    )


def test_the_refusal_is_a_json_document_with_json(run_cli) -> None:
    result = run_cli("inspect", "--json", "--cache-from", S3_A, "--cache-from", S3_B)

    error = json.loads(result.stdout)["error"]
    assert (error["exit_code"], result.exit_code) == (2, 2)
    assert error["message"].startswith("--cache-from was given 2 times")


def test_one_typed_value_still_wins_over_the_environment(run_cli, tmp_path) -> None:
    env = {"S3CACHE_CACHE_FROM": S3_A}
    missing = tmp_path / "missing"

    result = run_cli("inspect", "--cache-from", f"type=local,src={missing}", env=env)

    assert result.exit_code == 3
    assert str(missing) in result.stderr


def test_import_tries_each_repeated_cache_from_in_order(
    run_cli, bucket, local_fixture, tmp_path
) -> None:
    run_cli("export", str(local_fixture("run-max")), "--cache-to", bucket.spec())
    missing = bucket.spec(name="nope")

    result = run_cli(
        "import", str(tmp_path / "d"), "--json", "--cache-from", missing,
        "--cache-from", bucket.spec(),
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    document = result.json
    assert document["cache"]["name"] == "buildkit"
    assert document["cache"]["not_found"] == [f"s3://{bucket.name}/manifests/nope"]
