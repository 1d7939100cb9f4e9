from __future__ import annotations

import subprocess
import sys

from s3cache_cli import __version__


def test_version_is_printed(run_cli) -> None:
    result = run_cli("--version")

    assert result.exit_code == 0
    assert result.stdout.strip() == f"s3cache, version {__version__}"


def test_module_entry_point_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "s3cache_cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0
    assert __version__ in completed.stdout


def test_help_does_not_import_the_aws_sdk() -> None:
    code = (
        "import sys; from s3cache_cli.cli import cli; "
        "print({'boto3', 'botocore'} & set(sys.modules) or False)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert completed.stdout.strip() == "False"


def test_server_checks_signatures(s3_server, bucket) -> None:
    import boto3
    import botocore.exceptions
    import pytest

    impostor = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint_url,
        region_name=s3_server.region,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key="not-the-secret",
    )
    with pytest.raises(botocore.exceptions.ClientError, match="SignatureDoesNotMatch"):
        impostor.list_objects_v2(Bucket=bucket.name)
