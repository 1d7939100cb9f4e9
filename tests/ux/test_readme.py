"""The README's examples, run as written against the test S3 server.

Only ``docker`` is left out (no daemon here) and two names change: the
bucket ``ci-cache`` becomes the test's bucket, and the server's address
comes from ``AWS_ENDPOINT_URL_S3``, as the README says it may.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
FIXTURES = REPO / "tests" / "fixtures"


def block(section: str, language: str) -> str:
    """The first ``language`` code block under the ``## section`` heading."""
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{language}\n(.*?)```", body, re.S)
    assert match, f"no {language} block under {section}"
    return match.group(1)


@pytest.fixture
def shell_env(s3_server, bucket) -> dict[str, str]:
    """What a user's shell has: s3cache on PATH, credentials, a region."""
    bin_dir = Path(sys.executable).parent
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AWS_ENDPOINT_URL_S3": s3_server.endpoint_url,
    }


def run_bash(script: str, env: dict[str, str], cwd: Path):
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_quick_start(bucket, shell_env, tmp_path) -> None:
    cache = tmp_path / "buildcache"
    shutil.copytree(FIXTURES / "local" / "run-max", cache)
    script = block("Quick start", "sh")
    commands = "\n".join(
        line
        for line in script.replace("\\\n", "").splitlines()
        if line.startswith("s3cache ")
    )
    commands = commands.replace("ci-cache", bucket.name)
    commands = commands.replace("/tmp/buildcache", str(tmp_path / "buildcache"))
    assert commands.count("s3cache ") == 3

    done = run_bash(commands, shell_env, tmp_path)

    assert done.returncode == 0, done.stderr
    assert bucket.keys("manifests/") == ["manifests/main"]
    assert f"imported cache 'main' from s3://{bucket.name}/manifests/main" in (
        done.stdout
    )


def test_makefile_snippet(bucket, shell_env, tmp_path) -> None:
    makefile = tmp_path / "Makefile"
    makefile.write_text(block("In a Makefile", "make").replace("ci-cache", bucket.name))
    cache = tmp_path / "buildcache"
    shutil.copytree(FIXTURES / "local" / "run-max", cache)

    def make(branch: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "make",
                "-f",
                str(makefile),
                "image",
                "DOCKER=:",
                f"CACHE_DIR={cache}",
                f"BRANCH={branch}",
            ],
            env=shell_env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    first = make("main")
    assert first.returncode == 0, first.stderr
    assert re.search(r"warning: .*main.* \(ignored: ignore-error=true\)", first.stderr)

    shutil.rmtree(cache)
    second = make("pr-7")
    assert second.returncode == 0, second.stderr
    assert "imported cache 'main'" in second.stdout
    assert bucket.keys("manifests/") == ["manifests/main", "manifests/pr-7"]


def documented_keys(command: str) -> list[str]:
    section = README.split(f"\n### {command} --json\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, re.M)


def test_json_keys_are_documented(run_cli, bucket, local_fixture, tmp_path) -> None:
    source = str(local_fixture("run-max"))
    named, every = bucket.spec(name="main"), bucket.spec()
    target = str(tmp_path / "imported")
    documents = {
        "export": run_cli("export", source, "--json", "--cache-to", named),
        "import": run_cli("import", target, "--json", "--cache-from", named),
        "inspect": run_cli("inspect", "--json", "--check", "--cache-from", every),
        "prune": run_cli("prune", "--json", "--dry-run", "--cache-to", every),
    }

    for command, result in documents.items():
        assert result.exit_code == 0, result.output
        assert list(result.json) == documented_keys(command), command
