"""The benchmark's parts one at a time: command lines, datasets, the run
loop with stand-in commands, the targets and the report.

Everything here runs real processes or pure code; none of it needs the S3
server, so it stays quick.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import datasets, harness, peers, prune_planner, report, scenarios
from bench.__main__ import parser, settings_from
from bench.datasets import BlobGroup, DatasetSpec, ensure_dataset
from bench.harness import FAILED, OK, Bench, Results, Row, Settings
from bench.measure import Measurement, run_measured
from bench.peers import Endpoint, Location, Toolbox
from bench.prune_planner import SyntheticBucket
from bench.scenarios import NOT_AVAILABLE, NOT_INSTALLED, Context, Job

ENDPOINT = Endpoint("http://127.0.0.1:9", "us-east-1", "AKID", "secret")
SOURCE = Path("/data/blobs/sha256")
TARGET = Path("/tmp/get")
REMOTE = Location("bench-b", "p/")
AWS_CP = ["aws", "s3", "cp", "--recursive", "--only-show-errors"]
AWS_SYNC = ["aws", "s3", "sync", "--only-show-errors"]
S5CMD = ["s5", "--endpoint-url", "http://127.0.0.1:9", "--log", "error"]
SPEC = (
    "type=s3,bucket=bench-b,region=us-east-1,endpoint_url=http://127.0.0.1:9,"
    "use_path_style=true,prefix=p/,name=bench"
)
SMALL = DatasetSpec("ci", (BlobGroup(4, 1000, 30_000, log_uniform=True),))


# Command lines


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(
            peers.s5cmd_upload("s5", ENDPOINT, source=SOURCE, to=REMOTE),
            [*S5CMD, "cp", "/data/blobs/sha256/", "s3://bench-b/p/"],
            id="s5cmd-upload",
        ),
        pytest.param(
            peers.s5cmd_download("s5", ENDPOINT, source=REMOTE, to=TARGET),
            [*S5CMD, "cp", "s3://bench-b/p/*", "/tmp/get/"],
            id="s5cmd-download",
        ),
        pytest.param(
            peers.s5cmd_sync("s5", ENDPOINT, source=SOURCE, to=REMOTE),
            [*S5CMD, "sync", "/data/blobs/sha256/", "s3://bench-b/p/"],
            id="s5cmd-sync",
        ),
        pytest.param(
            peers.aws_upload("aws", source=SOURCE, to=REMOTE),
            [*AWS_CP, "/data/blobs/sha256", "s3://bench-b/p/"],
            id="aws-upload",
        ),
        pytest.param(
            peers.aws_download("aws", source=REMOTE, to=TARGET),
            [*AWS_CP, "s3://bench-b/p/", "/tmp/get"],
            id="aws-download",
        ),
        pytest.param(
            peers.aws_sync("aws", source=SOURCE, to=REMOTE),
            [*AWS_SYNC, "/data/blobs/sha256", "s3://bench-b/p/"],
            id="aws-sync",
        ),
        pytest.param(
            peers.s3cache_import(("s3cache",), ENDPOINT, source=REMOTE, to=TARGET),
            ["s3cache", "import", "-q", "--cache-from", SPEC, "/tmp/get"],
            id="s3cache-import",
        ),
    ],
)
def test_each_tool_gets_the_command_a_user_would_type(
    argv: list[str], expected: list[str]
) -> None:
    assert argv == expected


def test_a_flag_string_without_a_prefix_leaves_the_attribute_out() -> None:
    spec = peers.cache_spec(ENDPOINT, Location("bench-b", ""))

    assert spec == (
        "type=s3,bucket=bench-b,region=us-east-1,endpoint_url=http://127.0.0.1:9,"
        "use_path_style=true,name=bench"
    )


@pytest.mark.parametrize("direction", ["to", "from"])
def test_the_flag_string_is_one_s3cache_itself_accepts(direction: str) -> None:
    from s3cache_cli.spec import parse_cache_spec

    parsed = parse_cache_spec(SPEC, direction=direction, environ={})

    assert (parsed.bucket, parsed.prefix, parsed.names) == ("bench-b", "p/", ("bench",))
    assert parsed.endpoint_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("line", "version"),
    [
        pytest.param("version 8000GB 4.48 pypi linux amd64", "4.48", id="pypi"),
        pytest.param("version 30GB 3.80 1a2b linux amd64", "3.80", id="release"),
        pytest.param("something else", "something else", id="unknown-kept"),
    ],
)
def test_the_seaweedfs_version_is_read_from_its_banner(line: str, version: str):
    assert peers._weed_version(line) == version


def test_s5cmd_is_started_as_its_binary_not_through_the_python_wrapper() -> None:
    toolbox = peers.find_toolbox()

    assert toolbox.s5cmd is not None  # the dev extra installs it
    assert Path(toolbox.s5cmd).read_bytes()[:4] == b"\x7fELF"


def test_every_tool_reports_its_version(tmp_path: Path) -> None:
    from devtools.seaweed import weed_binary

    toolbox = peers.find_toolbox()
    env = peers.tool_environment(ENDPOINT, tmp_path)

    versions = peers.tool_versions(toolbox, env, weed_binary())

    assert versions["s3cache"].startswith("s3cache, version ")
    assert versions["seaweedfs"][0].isdigit()
    assert versions["s5cmd"].startswith("v")
    assert ("aws" in versions) == (toolbox.aws is not None)


# Datasets


def test_log_uniform_sizes_are_mostly_small_with_a_long_tail() -> None:
    group = BlobGroup(4000, 1000, 3_000_000, log_uniform=True)

    sizes = group.draw(random.Random(1))

    assert min(sizes) >= 1000 and max(sizes) <= 3_000_000
    # log-uniform: the median is the geometric mean of the bounds (~55 kB)
    assert 40_000 < statistics.median(sizes) < 75_000 < statistics.mean(sizes)


def test_uniform_sizes_centre_on_the_middle() -> None:
    sizes = BlobGroup(4000, 1000, 20_000).draw(random.Random(1))

    assert 9_500 < statistics.median(sizes) < 11_500


def test_the_cached_copy_is_named_by_the_shape_and_the_seed() -> None:
    bigger = DatasetSpec("ci", (BlobGroup(5, 1000, 30_000, log_uniform=True),))

    names = {SMALL.fingerprint(1), SMALL.fingerprint(2), bigger.fingerprint(1)}

    assert len(names) == 3
    assert SMALL.fingerprint(1) == SMALL.fingerprint(1)


def test_chains_start_without_a_parent_and_are_at_most_six_long() -> None:
    parents = datasets.chain_parents(300, random.Random(5))

    run = 0
    for index, parent in enumerate(parents):
        assert parent in (-1, index - 1)
        run = 1 if parent == -1 else run + 1
        assert run <= datasets.MAX_CHAIN
    assert parents[0] == -1 and parents.count(-1) > 300 / datasets.MAX_CHAIN


@pytest.mark.parametrize(
    ("parent", "field"),
    [
        pytest.param(0, {}, id="zero-left-out"),
        pytest.param(-1, {"parent": -1}, id="none"),
        pytest.param(4, {"parent": 4}, id="other"),
    ],
)
def test_parent_zero_is_left_out_as_go_writes_it(parent: int, field: dict) -> None:
    assert datasets.parent_field(parent) == field


def test_times_are_rfc3339_in_utc_with_nanoseconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    assert datasets.rfc3339_nanos(moment, 7) == "2026-01-02T03:04:05.000000007Z"


class RecordingRandom(random.Random):
    """A Random that remembers the largest block of bytes asked of it."""

    largest = 0

    def randbytes(self, n: int) -> bytes:
        self.largest = max(self.largest, n)
        return super().randbytes(n)


def test_a_blob_is_written_a_chunk_at_a_time(tmp_path: Path) -> None:
    rng = RecordingRandom(1)

    digest = datasets.write_random_blob(tmp_path, 3 * datasets.MiB + 5, rng)

    assert rng.largest == datasets.CHUNK
    written = tmp_path / digest.removeprefix("sha256:")
    assert written.stat().st_size == 3 * datasets.MiB + 5
    assert [path.name for path in tmp_path.iterdir()] == [written.name]


def test_a_half_written_dataset_is_thrown_away_and_written_again(
    tmp_path: Path,
) -> None:
    root = tmp_path / f"ci-{SMALL.fingerprint(1)}"
    leftover = root.with_name(root.name + ".partial")
    (leftover / "blobs").mkdir(parents=True)
    (leftover / "blobs" / "junk").write_text("interrupted")

    dataset = ensure_dataset(SMALL, seed=1, cache_dir=tmp_path)

    assert dataset.root == root and len(dataset.layers) == 4
    assert not leftover.exists()


def test_the_generated_cache_is_one_s3cache_reads_in_both_forms(
    tmp_path: Path,
) -> None:
    import json

    from s3cache_cli.cacheconfig import CacheConfig

    dataset = ensure_dataset(SMALL, seed=1, cache_dir=tmp_path)
    tag = json.loads((dataset.root / "index.json").read_bytes())["manifests"][0]
    index = json.loads(datasets.read_blob(dataset.root, tag["digest"]))
    config_bytes = datasets.read_blob(dataset.root, dataset.config_digest)

    local = CacheConfig.from_local(
        config_bytes, index["manifests"][:-1], source="index.json"
    )
    remote = CacheConfig.parse(datasets.s3_manifest(dataset), source="manifest")

    assert local.to_s3_bytes() == datasets.s3_manifest(dataset)
    assert remote.to_local_bytes() == config_bytes


# Measurement


def test_the_work_of_grandchildren_is_counted(tmp_path: Path) -> None:
    grandchild = (
        "import time\n"
        "block = bytearray(80 * 2**20)\n"
        "end = time.process_time() + 0.2\n"
        "while time.process_time() < end: pass\n"
    )
    child = (
        "import subprocess, sys\n"
        f"subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)\n"
    )

    measured = run_measured(
        [sys.executable, "-c", child], env=dict(os.environ), log_path=tmp_path / "g.log"
    )

    assert measured.exit_code == 0
    assert measured.max_rss_mib > 80
    assert measured.cpu_s >= 0.2


# The run loop, with stand-in commands


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def stand_in_bench(tmp_path: Path, messages: list[str], repeat: int = 3) -> Bench:
    settings = Settings(datasets=(), repeat=repeat, out_dir=tmp_path)
    return Bench(settings, None, dict(os.environ), "", messages.append)  # type: ignore[arg-type]


def test_tools_take_turns_and_each_run_gets_its_own_slot(tmp_path: Path) -> None:
    messages: list[str] = []
    slots: list[tuple[str, str]] = []

    def job(tool: str) -> Job:
        def argv(slot: str) -> list[str]:
            slots.append((tool, slot))
            return python("pass")

        return Job(tool, f"{tool} cp", argv)

    rows = harness.measure(
        stand_in_bench(tmp_path, messages), "export", "ci", [job("a"), job("b")]
    )

    assert slots == [
        ("a", "r1"),
        ("b", "r1"),
        ("b", "r2"),
        ("a", "r2"),
        ("a", "r3"),
        ("b", "r3"),
    ]
    assert [(row.tool, row.status, len(row.runs)) for row in rows] == [
        ("a", OK, 3),
        ("b", OK, 3),
    ]
    assert messages[0].startswith("export ci: a cp r1: ok, ")


def test_a_failed_run_ends_that_tool_and_leaves_it_without_numbers(
    tmp_path: Path,
) -> None:
    cleaned: list[str] = []
    failing = Job(
        "s3cache",
        "s3cache export",
        lambda slot: python("import sys; sys.exit('error: bucket gone')"),
        cleanup=cleaned.append,
    )
    working = Job("s5cmd", "s5cmd cp", lambda slot: python("pass"))

    rows = harness.measure(
        stand_in_bench(tmp_path, []), "export", "ci", [failing, working]
    )

    assert rows[0] == Row(
        "export",
        "ci",
        "s3cache",
        "s3cache export",
        FAILED,
        (),
        "exit 1: error: bucket gone",
    )
    assert cleaned == ["r1"]
    assert len(rows[1].runs) == 3 and rows[1].wall_s is not None


def test_a_run_whose_check_finds_a_problem_is_a_failure(tmp_path: Path) -> None:
    lazy = Job(
        "aws",
        "aws s3 cp",
        lambda slot: python("pass"),
        check=lambda slot: "3 missing, 0 unexpected, 0 of the wrong size",
    )

    (row,) = harness.measure(stand_in_bench(tmp_path, [], 2), "export", "ci", [lazy])

    assert (row.status, row.detail, row.runs) == (
        FAILED,
        "3 missing, 0 unexpected, 0 of the wrong size",
        (),
    )
    assert row.wall_s is None and row.cpu_s is None and row.max_rss_mib is None


def test_a_job_that_cannot_run_is_reported_without_running(tmp_path: Path) -> None:
    messages: list[str] = []
    jobs = [
        Job("s3cache", "s3cache import", None, unavailable=NOT_AVAILABLE),
        Job("aws", "aws s3 cp", None, unavailable=NOT_INSTALLED),
    ]

    rows = harness.measure(stand_in_bench(tmp_path, messages), "import", "ci", jobs)

    assert [(row.status, row.runs) for row in rows] == [
        (NOT_AVAILABLE, ()),
        (NOT_INSTALLED, ()),
    ]
    assert messages == []


def test_the_output_of_each_run_is_kept_in_a_log(tmp_path: Path) -> None:
    job = Job("aws", "aws s3 cp", lambda slot: python("print('upload: a to s3://b/a')"))

    harness.measure(stand_in_bench(tmp_path, [], 1), "export", "ci", [job])

    log = tmp_path / "logs" / "export-ci-aws-r1.log"
    assert log.read_text() == "upload: a to s3://b/a\n"


@pytest.mark.parametrize(
    ("code", "unavailable"),
    [
        pytest.param(
            "import sys; sys.stderr.write(\"error: 's3cache export' is not "
            'available in this version\\n"); sys.exit(2)',
            True,
            id="placeholder",
        ),
        pytest.param(
            "import sys; sys.stderr.write(\"Error: Missing argument 'DIR'.\\n\");"
            " sys.exit(2)",
            False,
            id="real-command-without-arguments",
        ),
        pytest.param("pass", False, id="exit-0"),
    ],
)
def test_a_placeholder_command_is_told_from_a_real_one(
    code: str, unavailable: bool
) -> None:
    toolbox = Toolbox(s3cache=tuple(python(code)), s5cmd=None, aws=None)

    answer = harness.s3cache_says_unavailable(toolbox, dict(os.environ), "export")

    assert answer is unavailable


# Jobs per scenario


def jobs_context(tmp_path: Path, **changes) -> Context:
    toolbox = Toolbox(s3cache=("s3cache",), s5cmd="/bin/s5", aws="/bin/aws")
    fields = {
        "toolbox": toolbox,
        "endpoint": ENDPOINT,
        "client": None,
        "transfers_bucket": "bench-t",
        "work_dir": tmp_path,
        "s3cache_missing": frozenset(),
        **changes,
    }
    return Context(**fields)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> datasets.Dataset:
    return ensure_dataset(SMALL, seed=1, cache_dir=tmp_path_factory.mktemp("data"))


def test_missing_tools_and_placeholders_become_rows_that_say_so(
    tmp_path: Path, small
) -> None:
    nothing = Toolbox(s3cache=("s3cache",), s5cmd=None, aws=None)
    context = jobs_context(
        tmp_path, toolbox=nothing, s3cache_missing=frozenset({"export"})
    )

    jobs = scenarios.export_jobs(context, small)

    assert [(job.tool, job.unavailable, job.argv) for job in jobs] == [
        ("s3cache", NOT_AVAILABLE, None),
        ("s5cmd", NOT_INSTALLED, None),
        ("aws", NOT_INSTALLED, None),
    ]


def test_every_export_run_writes_to_a_prefix_of_its_own(tmp_path: Path, small) -> None:
    jobs = scenarios.export_jobs(jobs_context(tmp_path), small)

    destinations = {job.argv(slot)[-1] for job in jobs[1:] for slot in ("r1", "r2")}
    spec = jobs[0].argv("r1")[4]

    assert destinations == {
        f"s3://bench-t/export/ci/{tool}/{slot}/"
        for tool in ("s5cmd", "aws")
        for slot in ("r1", "r2")
    }
    assert "prefix=export/ci/s3cache/r1/" in spec
    assert jobs[0].argv("r1")[-1] == str(small.root)


def test_every_import_run_gets_an_empty_directory_that_is_removed_after(
    tmp_path: Path, small
) -> None:
    seeded = Location("bench-s", "seed/ci/")
    jobs = scenarios.import_jobs(jobs_context(tmp_path), small, seeded)
    s3cache, s5cmd, aws = jobs

    assert s5cmd.argv("r2")[-2:] == [
        "s3://bench-s/seed/ci/files/*",
        f"{tmp_path}/import-ci-s5cmd-r2/",
    ]
    assert aws.argv("r1")[-2] == "s3://bench-s/seed/ci/files/"
    assert "prefix=seed/ci/" in s3cache.argv("r1")[4]

    target = Path(aws.argv("r1")[-1])
    (target / "blobs").mkdir(parents=True)
    aws.cleanup("r1")
    assert not target.exists()


def test_a_download_with_a_missing_or_short_file_is_told_apart(
    tmp_path: Path, small
) -> None:
    for path in small.blob_files():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert scenarios.check_downloaded_files(small, tmp_path) is None

    first, second = small.blob_files()[:2]
    (tmp_path / first.name).unlink()
    (tmp_path / second.name).write_bytes(b"short")
    (tmp_path / "stray").write_bytes(b"")

    assert scenarios.check_downloaded_files(small, tmp_path) == (
        "1 missing, 1 unexpected, 1 of the wrong size"
    )


def test_both_planners_get_the_same_synthetic_bucket() -> None:
    s3cache, reference = scenarios.prune_jobs(blobs=1000, manifests=10, seed=3)

    assert s3cache.argv("r1")[1:] == [
        str(Path(prune_planner.__file__)),
        "--blobs=1000",
        "--manifests=10",
        "--seed=3",
    ]
    assert reference.argv("r1") == [*s3cache.argv("r1"), "--reference"]


# The planner process


def test_the_reference_planner_prints_how_many_blobs_go(capsys) -> None:
    expected = prune_planner.reference_plan(SyntheticBucket(400, 4))

    status = prune_planner.main(["--reference", "--blobs=400", "--manifests=4"])

    assert status == 0
    assert capsys.readouterr().out == f"{expected} of 400 blobs to delete\n"


def test_synthetic_manifests_are_caches_s3cache_accepts() -> None:
    from s3cache_cli.cacheconfig import CacheConfig

    synthetic = SyntheticBucket(blob_count=200, manifest_count=3)

    for manifest in synthetic.manifests():
        body = synthetic.manifest_body(manifest.key)
        config = CacheConfig.parse(body, source=manifest.key)
        assert len(config.layers) == synthetic.layers_per_manifest


def test_the_planner_defaults_to_a_million_blobs() -> None:
    options = prune_planner._parser().parse_args([])

    assert (options.blobs, options.manifests) == (1_000_000, 10_000)


# Targets and the report


def measured_row(scenario: str, dataset: str, tool: str, wall: float, **more) -> Row:
    runs = tuple(
        Measurement(wall + offset, more.get("cpu", 1.0), more.get("rss", 50.0), 0)
        for offset in (-0.5, 0.0, 9.0)
    )
    return Row(scenario, dataset, tool, f"{tool} cmd", OK, runs)


def test_a_row_reports_medians_and_the_peak_of_its_runs() -> None:
    runs = (
        Measurement(3.0, 1.0, 40.0, 0),
        Measurement(1.0, 3.0, 90.0, 0),
        Measurement(2.0, 2.0, 60.0, 0),
    )

    row = Row("export", "ci", "s5cmd", "s5cmd cp", OK, runs)

    assert (row.wall_s, row.cpu_s, row.max_rss_mib) == (2.0, 2.0, 90.0)


def test_the_measured_column_shows_both_numbers_and_the_ratio() -> None:
    rows = (
        measured_row("export", "ci", "s3cache", 3.0),
        measured_row("export", "ci", "s5cmd", 2.0),
    )

    verdict = report.evaluate(report.TARGETS[0], rows)

    assert verdict == report.Verdict(
        "export ci: wall ≤ 1.0× s5cmd cp", "3.00 vs 2.00 s (1.50×)", "fail"
    )


def test_a_limit_target_shows_the_limit() -> None:
    rows = (measured_row("import", "big", "s3cache", 9.0, rss=42.0),)

    verdict = report.evaluate(report.TARGETS[4], rows)

    assert (verdict.measured, verdict.result) == ("42.0 MiB (limit 100)", "pass")


def test_there_is_a_cpu_target_for_every_transfer_of_every_dataset() -> None:
    cpu = [t for t in report.TARGETS if t.metric == "cpu_s"]

    assert {(t.scenario, t.dataset) for t in cpu} == {
        (scenario, dataset)
        for scenario in ("export", "import", "re-export")
        for dataset in ("ci", "big", "many")
    }
    assert all(t.peer == "aws" for t in cpu)
    assert len({t.label for t in report.TARGETS}) == len(report.TARGETS)


def test_no_ratio_is_shown_when_s3cache_has_no_numbers() -> None:
    rows = (
        Row("export", "ci", "s3cache", "s3cache export", NOT_AVAILABLE),
        measured_row("export", "ci", "s5cmd", 2.0),
    )

    table = report.render_table(rows)

    assert "| export ci | s5cmd cmd | 2.00 | 1.00 | 50 | — |" in table


def results_with(*rows: Row) -> Results:
    summaries = (
        harness.DatasetSummary("ci", 303, 432_100_000),
        harness.DatasetSummary("big", 1, 2**30),
    )
    return Results(Settings(), summaries, rows, {"s5cmd": "v2.3.0", "aws": "aws-cli/1"})


def test_the_report_describes_the_machine_tools_and_datasets() -> None:
    machine = {"CPU": "AMD EPYC, 2 cores usable", "Memory": "23.5 GiB"}

    text = report.render(results_with(), machine, "")

    assert "- CPU: AMD EPYC, 2 cores usable\n- Memory: 23.5 GiB\n" in text
    assert "- aws: aws-cli/1\n- s5cmd: v2.3.0\n" in text
    assert "ci (303 blobs, 432 MB), big (1 blob, 1,074 MB)" in text
    assert "median of 3 run(s)" in text and "Quick run" not in text


def test_machine_facts_name_the_cpu_memory_and_libraries() -> None:
    facts = report.machine_facts()

    assert list(facts) == ["CPU", "Memory", "OS", "Python", "boto3", "botocore"]
    assert facts["CPU"].endswith(f"{len(os.sched_getaffinity(0))} cores usable")
    assert facts["Python"] == ".".join(map(str, sys.version_info[:3]))


@pytest.mark.parametrize(
    ("existing", "notes"),
    [
        pytest.param(None, report.NOTES_PLACEHOLDER, id="no-file"),
        pytest.param("# Benchmarks\n", report.NOTES_PLACEHOLDER, id="no-notes"),
        pytest.param(
            "# Benchmarks\n\n## Notes\n\nLoad was high.\n\n### More\n- x\n",
            "Load was high.\n\n### More\n- x\n",
            id="notes-with-subsections",
        ),
    ],
)
def test_notes_are_taken_from_the_earlier_report(
    tmp_path: Path, existing: str | None, notes: str
) -> None:
    path = tmp_path / "BENCHMARKS.md"
    if existing is not None:
        path.write_text(existing)

    assert report.existing_notes(path) == notes


# The command line


def test_options_override_the_defaults(tmp_path: Path) -> None:
    options = parser().parse_args(
        [
            "--repeat=5",
            "--datasets=many",
            "--scenarios=import,prune",
            "--prune-blobs=5000",
            f"--out-dir={tmp_path}",
        ]
    )

    settings = settings_from(options)

    assert [spec.name for spec in settings.datasets] == ["many"]
    assert settings.scenarios == ("import", "prune")
    assert (settings.repeat, settings.prune_blobs, settings.prune_manifests) == (
        5,
        5000,
        10_000,
    )
    assert settings.out_dir == tmp_path


def test_an_unknown_dataset_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown huge; choose from ci, big, many"):
        settings_from(parser().parse_args(["--datasets=ci,huge"]))


def test_fewer_than_one_run_is_refused() -> None:
    with pytest.raises(SystemExit):
        settings_from(parser().parse_args(["--repeat=0"]))
