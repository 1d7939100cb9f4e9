"""Flag strings (``type=s3,bucket=b,region=r``) read into frozen specs.

Pure parsing: nothing here imports click or boto3; ``cli.params`` adapts it.
"""

from __future__ import annotations

from s3cache_cli.spec.duration import format_go_duration, parse_go_duration
from s3cache_cli.spec.errors import SpecError
from s3cache_cli.spec.model import Direction, LocalSpec, S3Spec
from s3cache_cli.spec.parse import HANDLED_TYPES, parse_cache_spec

__all__ = [
    "HANDLED_TYPES",
    "Direction",
    "LocalSpec",
    "S3Spec",
    "SpecError",
    "format_go_duration",
    "parse_cache_spec",
    "parse_go_duration",
]
