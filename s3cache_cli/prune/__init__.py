"""Deciding and carrying out what `s3cache prune` deletes."""
