"""The S3 store against a real SeaweedFS bucket."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from s3cache_cli.digest import parse_digest
from s3cache_cli.errors import IntegrityError, InvalidManifest
from s3cache_cli.stores import s3 as s3_module
from s3cache_cli.stores.base import BlobDeleteError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "s3" / "run-max" / "objects"
FIXTURE_BLOBS = sorted(p.name for p in (FIXTURE / "blobs").iterdir())


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_lists_every_manifest_as_a_cache(buildkit_s3_bucket, s3_store) -> None:
    entries = sorted(s3_store().list_caches(), key=lambda e: e.name)

    assert [e.name for e in entries] == ["app", "app-alias"]
    assert [e.location for e in entries] == ["manifests/app", "manifests/app-alias"]
    assert all(e.size == 3490 and e.etag and e.media_type is None for e in entries)


def test_lists_only_under_the_prefix(bucket, s3_store) -> None:
    bucket.upload_tree(FIXTURE, prefix="team1/")
    bucket.put("manifests/elsewhere", b"{}")

    entries = list(s3_store(prefix="team1/").list_caches())

    assert sorted(e.name for e in entries) == ["app", "app-alias"]
    assert {e.location for e in entries} == {
        "team1/manifests/app",
        "team1/manifests/app-alias",
    }


def test_prefix_without_slash_is_joined_as_buildkit_joins_it(bucket, s3_store):
    bucket.upload_tree(FIXTURE, prefix="team1")

    store = s3_store(prefix="team1")

    assert sorted(e.location for e in store.list_caches())[0] == "team1manifests/app"
    assert len(list(store.iter_blobs())) == 6


def test_reads_a_cache_config(buildkit_s3_bucket, s3_store) -> None:
    store = s3_store()
    entry = next(e for e in store.list_caches() if e.name == "app")

    config = store.read_cache(entry)

    assert [str(d) for d in config.blob_digests()] == sorted(FIXTURE_BLOBS)
    assert len(config.records) == 11
    assert store.own_blobs(entry) == ()


LOOP = b'{"layers":[{"blob":"%s","parent":1},{"blob":"%s"}]}' % (
    sha256(b"a").encode(),
    sha256(b"b").encode(),
)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"not json", "not valid JSON", id="not-json"),
        pytest.param(
            b'{"layers":[{"blob":"sha256:../etc","parent":-1}]}',
            "invalid digest 'sha256:../etc'",
            id="bad-digest",
        ),
        pytest.param(LOOP, "layer 0 is its own parent", id="parent-loop"),
        pytest.param(b"{}\n{}", "unexpected data after the JSON", id="two-values"),
    ],
)
def test_an_invalid_manifest_raises_invalid_manifest(
    bucket, s3_store, body: bytes, reason: str
) -> None:
    bucket.put("manifests/broken", body)
    store = s3_store()
    entry = next(iter(store.list_caches()))

    with pytest.raises(InvalidManifest) as raised:
        store.read_cache(entry)

    assert raised.value.message.startswith(f"s3://{bucket.name}/manifests/broken: ")
    assert reason in raised.value.message


def test_an_oversized_manifest_is_invalid_without_being_read(
    bucket, s3_store, monkeypatch
) -> None:
    monkeypatch.setattr(s3_module, "MANIFEST_LIMIT", 100)
    bucket.put("manifests/huge", b"{" + b" " * 200 + b"}")
    store = s3_store()
    entry = next(iter(store.list_caches()))

    with pytest.raises(InvalidManifest, match="202 bytes; a manifest over 100 bytes"):
        store.read_cache(entry)


def test_a_manifest_deleted_after_listing_is_invalid(bucket, s3_store) -> None:
    bucket.put("manifests/gone", b"{}")
    store = s3_store()
    entry = next(iter(store.list_caches()))
    bucket.delete("manifests/gone")

    with pytest.raises(InvalidManifest, match="deleted while s3cache read it"):
        store.read_cache(entry)


def test_blob_listing_separates_digests_from_other_keys(bucket, s3_store) -> None:
    data = b"layer"
    bucket.put(f"blobs/{sha256(data)}", data)
    bucket.put("blobs/README", b"not a blob")
    bucket.put("blobs/sha256:ABC", b"upper case")

    store = s3_store()
    blobs = list(store.iter_blobs())

    assert [(str(b.digest), b.size) for b in blobs] == [(sha256(data), 5)]
    assert blobs[0].location == f"blobs/{sha256(data)}"
    assert sorted(store.iter_foreign()) == ["blobs/README", "blobs/sha256:ABC"]


def test_head_blob_gives_size_or_none(buildkit_s3_bucket, s3_store) -> None:
    store = s3_store()
    present = parse_digest(FIXTURE_BLOBS[0])

    assert (
        store.head_blob(present).size
        == (FIXTURE / "blobs" / FIXTURE_BLOBS[0]).stat().st_size
    )
    assert store.head_blob(parse_digest(sha256(b"absent"))) is None


def test_verify_blob_accepts_whole_bytes_and_reports_progress(bucket, s3_store):
    data = b"x" * (3 * 1024 * 1024 + 7)
    bucket.put(f"blobs/{sha256(data)}", data)
    seen: list[int] = []

    s3_store().verify_blob(parse_digest(sha256(data)), len(data), on_bytes=seen.append)

    assert sum(seen) == len(data)


def test_verify_blob_rejects_replaced_bytes_of_the_same_size(bucket, s3_store):
    digest = sha256(b"original")
    bucket.put(f"blobs/{digest}", b"replaced")
    seen: list[int] = []

    with pytest.raises(IntegrityError, match="hashes to"):
        s3_store().verify_blob(parse_digest(digest), 8, on_bytes=seen.append)

    assert sum(seen) == 8, "a retried read rolls back what it reported"


def test_verify_blob_of_a_missing_blob(bucket, s3_store) -> None:
    with pytest.raises(IntegrityError, match="does not exist"):
        s3_store().verify_blob(parse_digest(sha256(b"none")), 4)


def test_delete_cache_deletes_an_unchanged_manifest(buildkit_s3_bucket, s3_store):
    store = s3_store()
    entry = next(e for e in store.list_caches() if e.name == "app")

    assert store.delete_cache(entry) is True
    assert buildkit_s3_bucket.keys("manifests/") == ["manifests/app-alias"]


def test_delete_cache_keeps_a_manifest_rewritten_since_listing(bucket, s3_store):
    bucket.put("manifests/main", b"{}")
    store = s3_store()
    entry = next(iter(store.list_caches()))
    bucket.put("manifests/main", b'{"layers":[]}')

    assert store.delete_cache(entry) is False
    assert bucket.get("manifests/main") == b'{"layers":[]}'


def test_delete_cache_of_a_manifest_already_gone(bucket, s3_store) -> None:
    bucket.put("manifests/main", b"{}")
    store = s3_store()
    entry = next(iter(store.list_caches()))
    bucket.delete("manifests/main")

    assert store.delete_cache(entry) is False


def test_delete_cache_falls_back_when_if_match_is_not_implemented(bucket, s3_store):
    # A store that does not know conditional deletes cannot be made from
    # SeaweedFS, so its answer is given before the request leaves.
    bucket.put("manifests/main", b"{}")
    store = s3_store()
    entry = next(iter(store.list_caches()))
    refused = _refuse_once(store, "DeleteObject", "NotImplemented", status=501)

    assert store.delete_cache(entry) is True
    assert refused == ["NotImplemented"]
    assert bucket.keys("manifests/") == []


def test_delete_blobs_in_batches(bucket, s3_store, monkeypatch) -> None:
    monkeypatch.setattr(s3_module, "DELETE_BATCH", 2)
    for index in range(5):
        data = f"blob {index}".encode()
        bucket.put(f"blobs/{sha256(data)}", data)
    bucket.put("blobs/keep-me", b"x")
    store = s3_store()

    deleted = store.delete_blobs(list(store.iter_blobs()))

    assert deleted == 5
    assert bucket.keys() == ["blobs/keep-me"]


def test_delete_blobs_names_keys_the_server_refused(bucket, s3_store) -> None:
    # Per-key refusals (a held object, say) cannot be provoked on SeaweedFS.
    data = b"held"
    bucket.put(f"blobs/{sha256(data)}", data)
    store = s3_store()
    blobs = list(store.iter_blobs())
    _refuse_keys(store, "AccessDenied")

    with pytest.raises(BlobDeleteError) as raised:
        store.delete_blobs(blobs)

    assert raised.value.deleted == 0
    assert raised.value.failures == ((f"blobs/{sha256(data)}", "AccessDenied: held"),)
    assert "1 of 1 blobs could not be deleted" in raised.value.message


def test_delete_blobs_retries_keys_refused_for_a_moment(bucket, s3_store) -> None:
    data = b"busy"
    bucket.put(f"blobs/{sha256(data)}", data)
    store = s3_store()
    _refuse_keys(store, "SlowDown", times=1)

    assert store.delete_blobs(list(store.iter_blobs())) == 1
    assert bucket.keys() == []


def test_pending_uploads_are_listed_and_aborted(bucket, s3_store) -> None:
    key = f"blobs/{sha256(b'big')}"
    client = bucket.client
    upload = client.create_multipart_upload(Bucket=bucket.name, Key=key)
    client.upload_part(
        Bucket=bucket.name,
        Key=key,
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"z" * 100,
    )
    store = s3_store()

    pending = list(store.pending_uploads())

    assert [(p.location, p.upload_id, p.size) for p in pending] == [
        (key, upload["UploadId"], 100)
    ]
    store.abort_upload(pending[0])
    assert list(store.pending_uploads()) == []
    store.abort_upload(pending[0])  # already gone: nothing to do


def _refuse_once(store, operation: str, code: str, *, status: int) -> list[str]:
    """Answer the next ``operation`` with an error, without sending it."""
    refused: list[str] = []

    def answer(**_: object):
        if refused:
            return None
        refused.append(code)
        return _fake_response(status), {
            "Error": {"Code": code, "Message": "refused"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    store.conn.client.meta.events.register(f"before-call.s3.{operation}", answer)
    return refused


def _refuse_keys(store, code: str, *, times: int = 99) -> None:
    """Answer DeleteObjects with a per-key error for every key, ``times`` times."""
    answered: list[int] = []

    def answer(params: dict, **_: object):
        if len(answered) >= times:
            return None
        answered.append(1)
        return _fake_response(200), {
            "Errors": [
                {"Key": k, "Code": code, "Message": "held"} for k in _keys(params)
            ],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    store.conn.client.meta.events.register("before-call.s3.DeleteObjects", answer)


def _keys(params: dict) -> list[str]:
    import re

    body = params["body"]
    text = body.decode() if isinstance(body, bytes) else str(body)
    return re.findall(r"<Key>([^<]+)</Key>", text)


def _fake_response(status: int):
    from botocore.awsrequest import AWSResponse

    return AWSResponse("http://127.0.0.1/", status, {}, None)
