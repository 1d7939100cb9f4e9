from __future__ import annotations

from collections.abc import Iterator

import pytest

from s3cache_cli import redact


@pytest.fixture(autouse=True)
def restore_registered_secrets() -> Iterator[None]:
    """Parsing registers secrets for masking; keep one test's from masking another's."""
    saved = set(redact._secrets)
    yield
    redact._secrets.clear()
    redact._secrets.update(saved)
