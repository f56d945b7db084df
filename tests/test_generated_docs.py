"""What README.md and docs/*.md show is what the commands beside it give today: every block marked
``<!-- generated: leasecheck ... -->`` and every picture marked ``<!-- generated picture: ... -->``
is run again and compared by content (times in seconds and an SVG's date masked).
``python docs/regenerate.py`` rewrites them."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("regenerate", ROOT / "docs" / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regenerate = sys.modules["regenerate"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)

PAGES = [p for p in regenerate.documents() if "<!-- generated" in p.read_text(encoding="utf-8")]
PICTURES = [pic for page in PAGES for pic in regenerate.pictures(page)]


def test_the_readme_shows_the_deadlock_as_generated_output_and_picture() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!-- generated: leasecheck check --variant nt35 --property recovery -->" in text
    assert any(pic.page.name == "README.md" and str(pic.path) == "docs/nt35-deadlock.svg" for pic in PICTURES)


def test_the_policies_page_shows_the_all_sizes_table_and_its_picture_as_generated_from_the_records() -> None:
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    assert "<!-- generated: leasecheck prove --policies all --results docs/policies/allsizes.jsonl --no-run -->" in text
    assert any(str(pic.path) == "docs/policies/allsizes.png" and "--no-run" in pic.command for pic in PICTURES)


#: pages a command of which takes tens of seconds (the recorded matrix judged under the 54 server
#: policies, about 45 s of CPU): compared in the sweep tier
SLOW_PAGES = {"conformance.md"}


@pytest.mark.parametrize("page", [pytest.param(p, marks=pytest.mark.sweep) if p.name in SLOW_PAGES else p
                                  for p in PAGES], ids=lambda p: p.name)
def test_every_generated_block_is_what_its_command_prints_today(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    fresh = regenerate.regenerate_page(text)
    assert regenerate.masked(fresh) == regenerate.masked(text), f"run python docs/regenerate.py: {page.name} is stale"


@pytest.mark.parametrize("picture", list({str(p.path): p for p in PICTURES}.values()), ids=lambda p: str(p.path))
def test_every_generated_picture_is_what_its_command_draws_today(picture, tmp_path: Path) -> None:
    fresh = picture.draw(tmp_path / picture.path.name)
    assert regenerate.same_picture(fresh, ROOT / picture.path), f"run python docs/regenerate.py: {picture.path} is stale"


def test_a_stale_block_is_seen(tmp_path: Path) -> None:
    text = "<!-- generated: leasecheck check --variant nt40 --property single_binding -->\n```\n$ old output\n```\n"
    fresh = regenerate.regenerate_page(text)
    assert "single_binding  -       holds" in fresh and "old output" not in fresh
    assert regenerate.masked(fresh) != regenerate.masked(text)
    assert regenerate.masked(regenerate.regenerate_page(fresh)) == regenerate.masked(fresh)


def test_times_are_masked_and_nothing_else() -> None:
    assert regenerate.masked("65 states, 103 transitions, 0.19 s") == regenerate.masked("65 states, 103 transitions, 2.50 s")
    assert regenerate.masked("65 states") != regenerate.masked("66 states")


def test_the_docs_and_tests_speak_only_of_the_repository() -> None:
    """No page, test or notebook cites a file the repository does not have, or an issue by number."""
    outside = re.compile(r"\b(" + "SEMANTICS" + r"|" + "PEERS" + r")\.md\b|\bissue #?\d+|\.\./" + "shared")
    files = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "CHANGELOG.md", *regenerate.documents(),
             *(ROOT / "tests").rglob("*.py"), *(ROOT / "tests").glob("*.md"), *(ROOT / "benchmarks").glob("*.md"),
             *(ROOT / "notebooks").glob("*.ipynb")]
    cited = [f"{path.relative_to(ROOT)}: {m.group(0)}" for path in files
             for m in outside.finditer(path.read_text(encoding="utf-8"))]
    assert not cited, cited
