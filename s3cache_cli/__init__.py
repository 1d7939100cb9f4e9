"""s3cache: move, inspect and prune Docker BuildKit build caches kept in S3."""

from __future__ import annotations

__version__ = "0.1.0"
