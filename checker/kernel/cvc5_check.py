"""Whether cvc5, the second solver, is installed (``pip install 'leasecheck[certificates]'``);
the kernel (:mod:`.kernel.fixed`) imports it only when asked for."""

from __future__ import annotations


def available() -> bool:
    try:
        import cvc5  # noqa: F401
    except ImportError:
        return False
    return True
