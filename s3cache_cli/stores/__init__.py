"""Where caches live: an S3 bucket prefix or a local OCI layout directory.

inspect and prune work on the ``CacheStore`` interface, so their planning
logic is written once for both.
"""
