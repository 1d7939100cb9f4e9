"""The README's sample output, held to what a real run prints.

Times and ages differ from run to run, and so do the columns' widths that
follow from them; everything else must read as the README shows it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
AGE = re.compile(r"(?<= )(\d+(\.\d+)?s|\d+m\d\ds|\d+h\d\dm|\d+d\d\dh)(?= )")


def sample(section: str) -> str:
    """The first plain code block under ``## section``: sample output."""
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", body, re.S | re.M)
    plain = [text for language, text in blocks if not language]
    assert plain, f"no sample output under {section}"
    return plain[0]


def normalised(output: str) -> list[str]:
    lines = []
    for line in output.splitlines():
        line = AGE.sub("AGE", TIMESTAMP.sub("TIME", line))
        lines.append(" ".join(line.split()))
    return lines


def test_inspect_sample_is_real_output(run_cli, buildkit_s3_bucket) -> None:
    unreferenced = bytes(range(256)) * 8
    digest = hashlib.sha256(unreferenced).hexdigest()
    buildkit_s3_bucket.put(f"blobs/sha256:{digest}", unreferenced)

    result = run_cli("inspect", "--cache-from", buildkit_s3_bucket.spec())
    output = result.stdout.replace(buildkit_s3_bucket.name, "ci-cache")

    assert result.exit_code == 0, result.stderr
    assert normalised(output) == normalised(sample("Inspect"))
    assert "UTC" in sample("Inspect")


def test_prune_sample_of_a_fresh_bucket_is_real_output(
    run_cli, buildkit_s3_bucket
) -> None:
    spec = buildkit_s3_bucket.spec()

    result = run_cli("prune", "--force", "--all", "--cache-to", spec)

    assert result.exit_code == 0, result.stderr
    assert "25h grace" in sample("Prune")
    assert sample("Prune").strip() in result.stdout.splitlines()
    assert buildkit_s3_bucket.keys("manifests/") == []
