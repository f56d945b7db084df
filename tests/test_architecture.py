"""ARCHITECTURE.md lists every module of the package, once, and nothing that is not there."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("leasecheck", "model", "properties", "checker")


def tree() -> set[str]:
    out = set()
    for folder in FOLDERS:
        for d, _, files in os.walk(ROOT / folder):  # links not followed: each file under its own folder
            out.update(str((Path(d) / f).relative_to(ROOT)) for f in files if f.endswith(".py"))
    return out


def manifest() -> list[str]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `([\w/]+\.py)` \| \S", text, flags=re.M)


def test_every_module_has_one_line_in_the_manifest() -> None:
    listed = manifest()
    assert len(listed) == len(set(listed)), [m for m in listed if listed.count(m) > 1]
    assert not tree() - set(listed), f"not in ARCHITECTURE.md: {sorted(tree() - set(listed))}"


def test_the_manifest_names_no_module_that_is_not_there() -> None:
    assert not set(manifest()) - tree(), f"in ARCHITECTURE.md only: {sorted(set(manifest()) - tree())}"
