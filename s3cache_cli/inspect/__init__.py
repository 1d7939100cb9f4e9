"""What inspect (and prune) learn from a store: caches, the blobs they name,
what is stored, and whether the named blobs are whole. No user interface."""
