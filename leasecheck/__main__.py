"""`python -m leasecheck` runs the leasecheck command line."""

import signal
import sys

signal.signal(signal.SIGTERM, signal.default_int_handler)  # from the first moment: SIGTERM as SIGINT
try:
    from leasecheck.checker.cli.main import entry_point
except KeyboardInterrupt:
    sys.stderr.write("leasecheck: interrupted while starting; nothing was decided\n")
    sys.exit(130)

entry_point()
