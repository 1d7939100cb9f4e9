from __future__ import annotations

from s3cache_cli.cli import main

if __name__ == "__main__":
    main()
