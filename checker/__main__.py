"""`python -m checker` runs the leasecheck command line."""

from checker.cli import entry_point

entry_point()
