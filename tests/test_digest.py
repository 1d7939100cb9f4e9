"""Digests: only well-formed ones get through, and bytes are checked against them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3cache_cli.digest import (
    Digest,
    DigestVerifier,
    InvalidDigest,
    file_digest,
    parse_digest,
    verify_file,
)
from s3cache_cli.errors import ExitCode, IntegrityError

SHA256_HEX = hashlib.sha256(b"hello").hexdigest()
SHA512_HEX = hashlib.sha512(b"hello").hexdigest()
FIXTURE_BLOBS = Path(__file__).parent / "fixtures" / "local" / "run-max" / "blobs"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"sha256:{SHA256_HEX}", id="sha256"),
        pytest.param(f"sha512:{SHA512_HEX}", id="sha512"),
    ],
)
def test_well_formed_digest_is_parsed(text):
    digest = parse_digest(text)

    assert str(digest) == text
    assert digest.algorithm == text.split(":")[0]
    assert digest.hex == digest.encoded == text.split(":")[1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(f"sha256:{SHA256_HEX.upper()}", "lower case", id="upper-hex"),
        pytest.param(f"SHA256:{SHA256_HEX}", "unknown algorithm", id="upper-alg"),
        pytest.param(f"sha256:{SHA256_HEX[:-1]}", "this has 63", id="short"),
        pytest.param(f"sha256:{SHA256_HEX}0", "this has 65", id="long"),
        pytest.param(f"sha256:{SHA512_HEX}", "this has 128", id="sha512-hex"),
        pytest.param("sha256:", "this has 0", id="empty-hex"),
        pytest.param("md5:" + "0" * 32, "unknown algorithm 'md5'", id="md5"),
        pytest.param("sha384:" + "0" * 96, "unknown algorithm", id="sha384"),
        pytest.param(SHA256_HEX, "no ':'", id="no-algorithm"),
        pytest.param("", "no ':'", id="empty"),
        pytest.param("sha256:../../etc/passwd", "0-9 and a-f", id="dot-dot"),
        pytest.param("sha256:" + "a" * 31 + "/" + "a" * 32, "0-9", id="slash"),
        pytest.param("sha256:" + "a" * 63 + "\x00", "0-9", id="nul"),
        pytest.param(f"sha256:{SHA256_HEX}\n", "0-9", id="trailing-newline"),
        pytest.param(f" sha256:{SHA256_HEX}", "unknown algorithm", id="leading-space"),
        pytest.param("sha256:" + "٣" * 64, "0-9", id="non-ascii-digits"),
        pytest.param(f"sha256:{SHA256_HEX}:x", "0-9", id="second-colon"),
    ],
)
def test_malformed_digest_is_refused_with_the_reason(text, reason):
    with pytest.raises(InvalidDigest, match="invalid digest") as caught:
        parse_digest(text)

    assert reason in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="none"),
        pytest.param(256, id="int"),
        pytest.param(f"sha256:{SHA256_HEX}".encode(), id="bytes"),
        pytest.param(["sha256", SHA256_HEX], id="list"),
    ],
)
def test_digest_that_is_not_a_string_is_refused(value):
    with pytest.raises(InvalidDigest, match="must be a string"):
        parse_digest(value)


def test_long_garbage_is_cut_short_in_the_message():
    with pytest.raises(InvalidDigest) as caught:
        parse_digest("sha256:" + "z" * 10_000)

    assert len(str(caught.value)) < 250


def test_digest_checks_itself_when_built_directly():
    with pytest.raises(InvalidDigest):
        Digest("sha256", "../etc")


def test_invalid_digest_is_a_value_error():
    assert issubclass(InvalidDigest, ValueError)


@given(st.text(max_size=140))
def test_any_text_is_either_a_faithful_digest_or_refused(text):
    try:
        digest = parse_digest(text)
    except InvalidDigest:
        return

    assert str(digest) == text
    assert "/" not in text and ".." not in text


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_hasher_uses_the_digest_algorithm(algorithm):
    digest = Digest(algorithm, hashlib.new(algorithm, b"hello").hexdigest())

    hasher = digest.hasher()
    hasher.update(b"hello")

    assert hasher.hexdigest() == digest.hex


def _verifier(data: bytes, size: int | None = -1) -> DigestVerifier:
    digest = Digest("sha256", hashlib.sha256(data).hexdigest())
    return DigestVerifier(digest, len(data) if size == -1 else size)


def test_verifier_accepts_matching_bytes_fed_in_pieces():
    data = bytes(range(256)) * 100
    verifier = _verifier(data)

    for start in range(0, len(data), 1000):
        verifier.update(data[start : start + 1000])

    verifier.check("blob x")
    assert verifier.bytes_seen == len(data)


def test_verifier_reports_a_short_read_with_both_sizes():
    verifier = _verifier(b"hello world")

    verifier.update(b"hello")

    with pytest.raises(IntegrityError) as caught:
        verifier.check("blobs/sha256:abc")

    message = str(caught.value)
    assert message.startswith("blobs/sha256:abc does not match sha256:")
    assert "expected 11 bytes, got 5" in message
    assert caught.value.exit_code == ExitCode.FAILED


def test_verifier_reports_changed_content_with_both_digests():
    verifier = _verifier(b"hello")

    verifier.update(b"HELLO")

    with pytest.raises(IntegrityError) as caught:
        verifier.check("layer 3")

    expected = hashlib.sha256(b"hello").hexdigest()
    actual = hashlib.sha256(b"HELLO").hexdigest()
    assert str(caught.value) == (
        f"layer 3 does not match sha256:{expected}: "
        f"its content hashes to sha256:{actual}"
    )
    assert caught.value.hint


def test_verifier_without_a_size_checks_only_the_digest():
    verifier = _verifier(b"hello", size=None)
    verifier.update(b"hello")
    verifier.check("blob")

    wrong = _verifier(b"hello", size=None)
    wrong.update(b"hell")
    with pytest.raises(IntegrityError, match="hashes to"):
        wrong.check("blob")


def test_reset_forgets_what_a_failed_attempt_sent():
    verifier = _verifier(b"hello")
    verifier.update(b"he")

    verifier.reset()
    verifier.update(b"hello")

    verifier.check("blob")
    assert verifier.bytes_seen == 5


def test_verify_file_accepts_a_real_buildkit_blob():
    path = next((FIXTURE_BLOBS / "sha256").iterdir())

    verify_file(path, Digest("sha256", path.name), path.stat().st_size, chunk_size=7)


def test_verify_file_names_the_file_it_refuses(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(b"hello!")
    digest = Digest("sha256", hashlib.sha256(b"hello").hexdigest())

    with pytest.raises(IntegrityError, match=f"^{path} does not match"):
        verify_file(path, digest, 5)

    with pytest.raises(IntegrityError, match="hashes to"):
        verify_file(path, digest, None)


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_file_digest_matches_hashlib(tmp_path, algorithm):
    path = tmp_path / "blob"
    path.write_bytes(b"x" * 3_000_000)

    digest = file_digest(path, algorithm)

    assert digest == Digest(
        algorithm, hashlib.new(algorithm, b"x" * 3_000_000).hexdigest()
    )


def test_file_digest_of_every_fixture_blob_is_its_name():
    for path in (FIXTURE_BLOBS / "sha256").iterdir():
        assert str(file_digest(path)) == f"sha256:{path.name}"


def test_file_digest_refuses_an_unknown_algorithm(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(b"x")

    with pytest.raises(InvalidDigest, match="md5"):
        file_digest(path, "md5")
