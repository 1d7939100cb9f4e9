"""Everything that talks to S3: the client, retries, the transfer engine."""
