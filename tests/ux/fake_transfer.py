"""Drive the progress display through a transfer of five blobs without S3.

``python -m tests.ux.fake_transfer [-v|-q|--debug]``: the display as the
commands create it, fed the calls the transfer engine makes.
"""

from __future__ import annotations

import sys
import time

from s3cache_cli.cli.app import App
from s3cache_cli.ui.progress import make_listener

MIB = 1024 * 1024
VERBOSITY = {"-q": -1, "-v": 1, "--debug": 2}


def main() -> None:
    app = App(verbosity=VERBOSITY.get(sys.argv[-1], 0), command="export")
    listener = make_listener(app, "uploading")
    listener.started(blobs=5, total_bytes=5 * 4 * MIB)
    for number in range(5):
        for _ in range(4):
            time.sleep(0.025)
            listener.advanced(MIB)
        listener.blob_done(f"sha256:{number:064x}", 4 * MIB, "uploaded")
        if number == 2:
            app.warn("the store is slow")
    listener.finished()
    app.print("exported 5 blobs")


if __name__ == "__main__":
    main()
