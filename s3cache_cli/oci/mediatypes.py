"""Media types and annotation keys of OCI and Docker images and BuildKit caches.

BuildKit's local export writes every layer with the OCI media type, or with
the Docker one when asked for ``oci-mediatypes=false``, whichever family the
layer had before. The two mappings below translate between the families the
way BuildKit does and leave a type they do not know unchanged.
"""

from __future__ import annotations

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_IMAGE_CONFIG = "application/vnd.docker.container.image.v1+json"
CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0"

OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_NONDISTRIBUTABLE_LAYER = "application/vnd.oci.image.layer.nondistributable.v1.tar"
OCI_NONDISTRIBUTABLE_LAYER_GZIP = OCI_NONDISTRIBUTABLE_LAYER + "+gzip"
OCI_NONDISTRIBUTABLE_LAYER_ZSTD = OCI_NONDISTRIBUTABLE_LAYER + "+zstd"

DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar"
DOCKER_FOREIGN_LAYER_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})

REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"
UNCOMPRESSED_ANNOTATION = "containerd.io/uncompressed"
CREATED_AT_ANNOTATION = "buildkit/createdat"

_TO_DOCKER = {
    OCI_LAYER: DOCKER_LAYER,
    OCI_LAYER_GZIP: DOCKER_LAYER_GZIP,
    OCI_LAYER_ZSTD: DOCKER_LAYER_ZSTD,
    OCI_NONDISTRIBUTABLE_LAYER: DOCKER_FOREIGN_LAYER,
    OCI_NONDISTRIBUTABLE_LAYER_GZIP: DOCKER_FOREIGN_LAYER_GZIP,
}

# Docker has no foreign zstd type, so the OCI one stays as it is both ways.
_TO_OCI = {docker: oci for oci, docker in _TO_DOCKER.items()}


def to_docker_layer_type(media_type: str) -> str:
    """The Docker name of a layer media type; other types come back unchanged."""
    return _TO_DOCKER.get(media_type, media_type)


def to_oci_layer_type(media_type: str) -> str:
    """The OCI name of a layer media type; other types come back unchanged."""
    return _TO_OCI.get(media_type, media_type)


def is_layer_type(media_type: str) -> bool:
    """Whether BuildKit would treat ``media_type`` as a layer of either family."""
    return media_type in _TO_DOCKER or media_type in _TO_OCI
