"""The version of leasecheck, stated once: ``pyproject.toml`` reads it for the package metadata,
``leasecheck --version`` prints it, and sweep results and trace files record it.

May import: nothing.
"""

__version__ = "0.2.0"
