"""Benchmarks of s3cache against s5cmd and the AWS CLI on a loopback S3 server.

``bench/run`` (or ``make bench``) installs what it needs, generates synthetic
BuildKit caches, measures every tool as a subprocess and writes BENCHMARKS.md.
"""
