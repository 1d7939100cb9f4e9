"""Manifests in S3 that are broken or built to hurt, against import, inspect
and prune: each is named as invalid, nothing is written or deleted because
of it, and nothing crashes.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.export.cachebuilder import digest_of
from tests.reliability.dataset import Dataset, local_problems

HEX = "a" * 64
GOOD = "sha256:" + HEX
MiB = 1024 * 1024


def layer(blob: str = GOOD, **fields) -> dict:
    annotations = {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "diffID": GOOD,
        "size": 3,
        "createdAt": "2026-12-04T15:05:39Z",
    }
    return {"blob": blob, "parent": -1, "annotations": annotations, **fields}


def record(**fields) -> dict:
    return {"digest": GOOD, "layers": [{"layer": 0}], **fields}


def doc(layers: list, records: list | None = None) -> bytes:
    return json.dumps({"layers": layers, "records": records or []}).encode()


HOSTILE = [
    pytest.param(b"", id="empty"),
    pytest.param(b"not json", id="not-json"),
    pytest.param(b"\xff\xfe{}", id="not-utf8"),
    pytest.param(b"[]", id="array"),
    pytest.param(b"null", id="null"),
    pytest.param(b'{"layers": {}}', id="layers-not-a-list"),
    pytest.param(doc([layer()]) + b" trailing", id="trailing-bytes"),
    pytest.param(b"[" * 200_000 + b"]" * 200_000, id="deep-nesting"),
    pytest.param(
        b'{"layers":' + b"[" * 50_000 + b"]" * 50_000 + b"}", id="deep-layers"
    ),
    pytest.param(json.dumps({"layers": [0] * 2_000_000}).encode(), id="huge-array"),
    pytest.param(doc([layer("sha256:../../../etc/passwd")]), id="dotdot-digest"),
    pytest.param(doc([layer("sha256:" + "a" * 63 + "\x00")]), id="nul-digest"),
    pytest.param(doc([layer("sha256:" + "A" * 64)]), id="upper-case-digest"),
    pytest.param(doc([layer("sha256:abc")]), id="short-digest"),
    pytest.param(doc([layer("md5:" + "a" * 32)]), id="md5-digest"),
    pytest.param(doc([layer("sha512:" + HEX)]), id="sha512-of-sha256-length"),
    pytest.param(doc([layer("sha256:" + HEX + "/x")]), id="slash-in-digest"),
    pytest.param(doc([layer(parent=1), layer(parent=0)]), id="layer-loop"),
    pytest.param(doc([layer(parent=5)]), id="parent-out-of-range"),
    pytest.param(
        doc(
            [layer()], [record(inputs=[[{"link": 1}]]), record(inputs=[[{"link": 0}]])]
        ),
        id="record-loop",
    ),
    pytest.param(
        doc([layer()], [record(inputs=[[{"link": 9}]])]), id="link-out-of-range"
    ),
    pytest.param(doc([layer()], [record(inputs=[[]])]), id="empty-input"),
    pytest.param(
        doc([{**layer(), "annotations": {**layer()["annotations"], "size": -1}}]),
        id="negative-size",
    ),
    pytest.param(
        doc([{**layer(), "annotations": {**layer()["annotations"], "size": 10**30}}]),
        id="size-beyond-int64",
    ),
    pytest.param(
        b'{"layers":[{"blob":"' + GOOD.encode() + b'","parent":1e400}]}',
        id="number-overflow",
    ),
]


# Cases that prove no more than the others of their kind: heavy runs only.
HEAVY_ONLY = {
    "array",
    "null",
    "empty",
    "layers-not-a-list",
    "deep-layers",
    "short-digest",
    "upper-case-digest",
    "sha512-of-sha256-length",
    "parent-out-of-range",
    "empty-input",
    "negative-size",
    "number-overflow",
}
HOSTILE = [
    pytest.param(*case.values, id=case.id, marks=[pytest.mark.heavy])
    if case.id in HEAVY_ONLY
    else case
    for case in HOSTILE
]


@pytest.fixture
def hostile_bucket(bucket, tmp_path):
    """A good cache, an orphan blob, and ``put(manifest)`` for the bad one."""
    good = Dataset((b"good layer one", b"good layer two"))
    good.put_into(bucket, "good", tmp_path)
    bucket.put(f"blobs/{digest_of(b'orphan')}", b"orphan")

    def put(manifest: bytes) -> list[str]:
        bucket.put("manifests/app", manifest)
        return bucket.keys()

    bucket.put_bad = put
    return bucket


def import_app(cli, bucket, dest):
    return cli("import", "--cache-from", bucket.spec(name="app"), str(dest))


@pytest.mark.parametrize("manifest", HOSTILE)
def test_a_hostile_manifest_is_named_and_changes_nothing(
    cli, hostile_bucket, tmp_path, manifest: bytes
) -> None:
    before = hostile_bucket.put_bad(manifest)
    dest = tmp_path / "imported"

    imported = import_app(cli, hostile_bucket, dest)
    listed = cli("inspect", "--cache-from", hostile_bucket.spec(), "--json")
    checked = cli("inspect", "--check", "--cache-from", hostile_bucket.spec())
    pruned = cli(
        "prune",
        "--force",
        "--all",
        "--grace",
        "0s",
        "--cache-to",
        hostile_bucket.spec(),
    )

    assert imported.exit_code == 1, imported.output
    assert "manifests/app" in imported.stderr
    assert not dest.exists()

    assert listed.exit_code == 0, listed.output
    assert [cache["name"] for cache in listed.json["invalid"]] == ["app"]
    assert listed.json["invalid"][0]["reason"]
    assert [cache["name"] for cache in listed.json["caches"]] == ["good"]
    assert checked.exit_code == 1, checked.output
    assert "invalid caches: app" in checked.stderr

    assert pruned.exit_code == 1, pruned.output
    assert "cannot read the cache manifest of app" in pruned.stderr
    assert hostile_bucket.keys() == before


def test_import_of_many_layers_naming_a_missing_blob_writes_no_index(
    cli, bucket, tmp_path
) -> None:
    bucket.put("manifests/app", doc([layer()] * 20_000))
    dest = tmp_path / "imported"

    result = import_app(cli, bucket, dest)

    assert result.exit_code == 1, result.output
    assert f"blobs/{GOOD} does not exist" in result.stderr
    assert not (dest / "index.json").exists()
    assert local_problems(dest) == []


# -- random documents -------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELD_VALUES = st.one_of(
    JSON,
    st.sampled_from([GOOD, "sha256:../x", -1, 0, 1, 2**63, "", None]),
)
MANIFEST_SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "layers": st.lists(
            st.dictionaries(
                st.sampled_from(["blob", "parent", "annotations", "Blob"]),
                FIELD_VALUES,
                max_size=3,
            ),
            max_size=3,
        ),
        "records": st.lists(
            st.dictionaries(
                st.sampled_from(["digest", "layers", "chains", "inputs"]),
                FIELD_VALUES,
                max_size=4,
            ),
            max_size=3,
        ),
    },
)
DOCUMENTS = st.one_of(JSON, MANIFEST_SHAPED).map(
    lambda value: json.dumps(value).encode()
)
FUZZ = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def check_random_manifest(cli, bucket, tmp_path_factory, manifest: bytes) -> None:
    bucket.put("manifests/app", manifest)
    dest = tmp_path_factory.mktemp("dest") / "imported"

    imported = import_app(cli, bucket, dest)
    inspected = cli("inspect", "--check", "--cache-from", bucket.spec(name="app"))

    assert imported.exit_code in (0, 1), imported.output
    assert inspected.exit_code in (0, 1), inspected.output
    if imported.exit_code == 0:
        assert local_problems(dest) == []
    else:
        assert not (dest / "index.json").exists()


@FUZZ
@given(DOCUMENTS)
def test_random_manifests_never_crash_import_or_inspect(
    cli, bucket, tmp_path_factory, manifest: bytes
) -> None:
    check_random_manifest(cli, bucket, tmp_path_factory, manifest)


@pytest.mark.heavy
@settings(FUZZ, max_examples=300)
@given(DOCUMENTS)
def test_random_manifests_never_crash_import_or_inspect_many_examples(
    cli, bucket, tmp_path_factory, manifest: bytes
) -> None:
    check_random_manifest(cli, bucket, tmp_path_factory, manifest)


# -- a manifest too big to read ----------------------------------------------------


@pytest.fixture(scope="module")
def huge_manifest() -> bytes:
    """Valid JSON, a little over the 64 MiB a manifest may have."""
    padding = b" " * (64 * MiB + 1024)
    return b'{"layers":[],"records":[]' + padding + b"}"


def test_import_refuses_a_huge_manifest_without_reading_it(
    cli, bucket, tmp_path, huge_manifest: bytes
) -> None:
    bucket.put("manifests/app", huge_manifest)
    dest = tmp_path / "imported"

    tracemalloc.start()
    try:
        result = import_app(cli, bucket, dest)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.exit_code == 1, result.output
    assert "refused" in result.stderr and "manifests/app" in result.stderr
    assert peak < 16 * MiB
    assert not dest.exists()


def test_inspect_and_prune_refuse_a_huge_manifest_without_a_get(
    cli, bucket, tmp_path, make_proxy, huge_manifest: bytes
) -> None:
    proxy = make_proxy()
    Dataset((b"kept",)).put_into(bucket, "good", tmp_path)
    bucket.put("manifests/huge", huge_manifest)
    before = bucket.keys()
    spec = bucket.spec(endpoint_url=proxy.endpoint_url)

    inspected = cli("inspect", "--cache-from", spec, "--json")
    pruned = cli("prune", "--force", "--all", "--grace", "0s", "--cache-to", spec)

    assert [cache["name"] for cache in inspected.json["invalid"]] == ["huge"]
    assert pruned.exit_code == 1, pruned.output
    assert "huge" in pruned.stderr
    assert bucket.keys() == before
    gets = [r for r in proxy.requests if r.method == "GET" and r.path.endswith("/huge")]
    assert gets == []
