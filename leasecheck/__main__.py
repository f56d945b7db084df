"""`python -m leasecheck` runs the leasecheck command line."""

from leasecheck.checker.cli.main import entry_point

entry_point()
