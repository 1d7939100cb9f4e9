"""Tools for developing s3cache: a local S3 server, the demo, the benchmark."""
