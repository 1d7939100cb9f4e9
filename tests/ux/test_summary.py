"""The step summary of each command, from the documents their --json prints."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from s3cache_cli.ui.github import Outcome
from s3cache_cli.ui.summary import summary_markdown
from tests.ux.commands import probe

MIB = 1024 * 1024


def table(command: str, document: dict) -> str:
    outcome = Outcome(command, 0, seconds=2.5, document=document)
    return summary_markdown(outcome)


def test_export_summary() -> None:
    markdown = table(
        "export",
        {
            "dry_run": False,
            "source": "/tmp/.buildx-cache",
            "destination": "s3://ci-cache/",
            "blobs": {"upload": 3, "touch": 1, "present": 8},
            "bytes": {"upload": 12 * MIB, "touch": MIB, "present": 80 * MIB},
            "bytes_sent": 12 * MIB,
            "seconds": 3.2,
            "bytes_per_second": 4 * MIB,
            "manifests": ["manifests/main"],
        },
    )

    assert markdown.startswith("### ✅ s3cache export: done in 2.5s\n")
    assert "| from | `/tmp/.buildx-cache` |" in markdown
    assert "| to | `s3://ci-cache/` |" in markdown
    assert "| blobs | 3 sent (12.0 MiB), 1 touched, 8 already there |" in markdown
    assert "| sent | 12.0 MiB in 3.2s (4.0 MiB/s) |" in markdown
    assert "| manifests | `manifests/main` |" in markdown


def test_import_summary() -> None:
    markdown = table(
        "import",
        {
            "dry_run": True,
            "cache": {
                "name": "main",
                "url": "s3://ci-cache/manifests/main",
                "not_found": ["pr-42"],
            },
            "destination": {"path": "/tmp/cache", "tag": "latest"},
            "blobs": {"total": 8, "downloaded": 5, "present": 3, "replaced": 0},
            "bytes": {"total": 9 * MIB, "downloaded": 0},
            "seconds": 0.0,
            "bytes_per_second": 0,
        },
    )

    assert "| dry run | yes: nothing was changed |" in markdown
    assert "| cache | `main` from `s3://ci-cache/manifests/main` |" in markdown
    assert "| into | `/tmp/cache` (tag `latest`) |" in markdown
    assert "| blobs | 5 downloaded, 3 already there, 8 in all |" in markdown
    assert "| not found first | `pr-42` |" in markdown


def test_inspect_summary() -> None:
    caches = [{"name": f"pr-{n}", "bytes": n * MIB, "blob_count": n} for n in range(12)]
    markdown = table(
        "inspect",
        {
            "store": {"location": "s3://ci-cache/", "spec": {}},
            "caches": caches,
            "invalid": [{"name": "broken", "reason": "not JSON"}],
            "missing": ["gone"],
        },
    )

    assert "| store | `s3://ci-cache/` |" in markdown
    assert "`pr-1` (1.0 MiB, 1 blobs)" in markdown
    assert "and 2 more |" in markdown
    assert "| invalid | `broken` |" in markdown
    assert "| missing | `gone` |" in markdown


def test_prune_summary() -> None:
    markdown = table(
        "prune",
        {
            "store": "s3://ci-cache/",
            "dry_run": False,
            "grace": "25h0m0s",
            "caches_deleted": [{"name": "pr-1"}, {"name": "pr-2"}],
            "caches_kept": ["main"],
            "blobs_deleted": 7,
            "bytes_freed": 70 * MIB,
            "uploads_aborted": 1,
        },
    )

    assert "| caches deleted | `pr-1`, `pr-2` |" in markdown
    assert "| caches kept | 1 |" in markdown
    assert "| blobs deleted | 7 (70.0 MiB freed) |" in markdown
    assert "| uploads aborted | 1 |" in markdown


def test_a_document_of_another_shape_is_listed_as_it_is() -> None:
    markdown = table("export", {"blobs": ["a", "b"], "note": "new"})

    assert "| blobs | `a`, `b` |" in markdown
    assert "| note | `new` |" in markdown


def test_an_unwritable_summary_does_not_fail_the_command(tmp_path: Path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path)}
    result = CliRunner().invoke(probe, ["--cache-to", "type=local,dest=x"], env=env)

    assert result.exit_code == 0, result.output
