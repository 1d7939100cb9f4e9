"""OCI and Docker image formats as BuildKit's cache exports use them."""
