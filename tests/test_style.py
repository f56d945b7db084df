"""The code stays `ruff` and `mypy` clean (skipped where the dev tools are not installed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (pip install -e '.[dev]')")
def test_ruff_is_clean():
    proc = subprocess.run(["ruff", "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.sweep  # a quarter of a minute of one core; ruff's test stays in the default tier
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mypy") is None, reason="mypy is not installed (pip install -e '.[dev]')")
def test_mypy_is_clean():
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_merge_conflict_markers_are_left_in_tracked_files():
    proc = subprocess.run(["git", "grep", "-n", "-E", "^(<<<<<<<|>>>>>>>)( |$)"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    if proc.returncode == 128:
        pytest.skip("not a git checkout")
    assert proc.stdout == "", proc.stdout
