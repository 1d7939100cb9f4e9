"""The main job end to end, on a local S3 server: ``make demo``.

Starts SeaweedFS on 127.0.0.1, exports a real BuildKit cache (BuildKit's
own ``type=local`` export of a small build) into a bucket with ``s3cache
export``, looks at it with ``s3cache inspect --check``, imports it into a
fresh directory with ``s3cache import`` and checks that the directory holds
the same blobs, config and layer descriptors as the one exported. Every
s3cache step runs the real command line in a subprocess. Exits 1 if a step
fails or anything differs.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devtools.seaweed import SeaweedServer

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SAMPLE = FIXTURES / "local" / "run-max"
BUCKET = "s3cache-demo"
CACHE_NAME = "demo"
TAG = "latest"
REF_NAME = "org.opencontainers.image.ref.name"
CONFIG_TYPE = "application/vnd.buildkit.cacheconfig.v0"


def say(text: str) -> None:
    print(text, flush=True)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="s3cache-demo-") as work:
        say("1. starting a local S3 server (SeaweedFS on 127.0.0.1)")
        with SeaweedServer(buckets=[BUCKET]) as server:
            say(f"   listening at {server.endpoint_url}, bucket {BUCKET}")
            differences = run_round_trip(server, Path(work))
        say("5. stopped the S3 server")

    if differences:
        say("FAILED:")
        for difference in differences:
            say(f"   - {difference}")
        return 1

    say("OK: the imported cache holds the same blobs and config as BuildKit's")
    return 0


def run_round_trip(server: SeaweedServer, work: Path) -> list[str]:
    spec = s3_spec(server)
    env = cli_environment(server, work)
    destination = work / "imported"

    say("2. exporting BuildKit's local cache of a sample build to S3")
    export = ["export", "--cache-from", f"type=local,src={SAMPLE}", "--cache-to", spec]
    if run_cli(export, env).returncode != 0:
        return ["s3cache export failed"]

    say("3. inspecting what the bucket now holds, every blob checked")
    if run_cli(["inspect", "--check", "--cache-from", spec], env).returncode:
        return ["s3cache inspect found a problem"]

    say("4. importing it into a fresh directory")
    if run_cli(["import", "--cache-from", spec, str(destination)], env).returncode:
        return ["s3cache import failed"]

    say(f"   comparing {destination} with {SAMPLE.relative_to(REPO)}")
    return compare_layouts(destination, SAMPLE)


def s3_spec(server: SeaweedServer) -> str:
    return (
        f"type=s3,bucket={BUCKET},region={server.region},name={CACHE_NAME},"
        f"endpoint_url={server.endpoint_url},use_path_style=true"
    )


def cli_environment(server: SeaweedServer, work: Path) -> dict[str, str]:
    """The caller's environment with AWS settings aimed at the local server only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_REGION=server.region,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(work / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(work / "aws-credentials"),
    )
    return env


def run_cli(
    arguments: Sequence[str], env: dict[str, str]
) -> subprocess.CompletedProcess:
    say("   $ s3cache " + shlex.join(arguments))
    completed = subprocess.run(
        [sys.executable, "-m", "s3cache_cli", *arguments],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in (completed.stderr + completed.stdout).splitlines():
        say(f"   | {line}")
    return completed


def compare_layouts(ours: Path, theirs: Path, tag: str = TAG) -> list[str]:
    """What differs between two local caches: blobs, config, layer descriptors."""
    differences = _compare_blobs(ours, theirs)
    try:
        our_config, our_layers = _cache_parts(ours, tag)
        their_config, their_layers = _cache_parts(theirs, tag)
    except (OSError, ValueError, KeyError) as error:
        return [*differences, f"cannot read the cache tagged {tag!r}: {error}"]

    if our_config != their_config:
        differences.append(f"config {our_config} differs from {their_config}")
    if our_layers != their_layers:
        differences.append("the layer descriptors differ")
    return differences


def _compare_blobs(ours: Path, theirs: Path) -> list[str]:
    our_blobs = _blobs(ours)
    their_blobs = _blobs(theirs)
    differences = [f"blob {name} is missing" for name in their_blobs - our_blobs]
    differences += [f"blob {name} is extra" for name in our_blobs - their_blobs]
    for name in sorted(our_blobs & their_blobs):
        if _blob(ours, name) != _blob(theirs, name):
            differences.append(f"blob {name} has other bytes")
    return differences


def _blobs(root: Path) -> set[str]:
    directory = root / "blobs" / "sha256"
    if not directory.is_dir():
        return set()
    return {path.name for path in directory.iterdir() if not path.name.startswith(".")}


def _blob(root: Path, name: str) -> bytes:
    return (root / "blobs" / "sha256" / name).read_bytes()


def _cache_parts(root: Path, tag: str) -> tuple[str, list[dict[str, Any]]]:
    """The config blob's digest and the layer descriptors, in either form."""
    index = json.loads((root / "index.json").read_bytes())
    (entry,) = [
        e for e in index["manifests"] if e.get("annotations", {}).get(REF_NAME) == tag
    ]
    manifest = json.loads(_blob(root, entry["digest"].removeprefix("sha256:")))
    if "config" in manifest:
        return manifest["config"]["digest"], manifest["layers"]

    (config,) = [d for d in manifest["manifests"] if d["mediaType"] == CONFIG_TYPE]
    layers = [d for d in manifest["manifests"] if d["mediaType"] != CONFIG_TYPE]
    return config["digest"], layers


if __name__ == "__main__":
    sys.exit(main())
