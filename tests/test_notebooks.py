"""The notebooks in notebooks/ are stored with their outputs, charts included, and those outputs are
what a fresh run gives today (times in seconds and SVG dates masked); they use only the public API.
``python docs/regenerate.py`` runs them and stores what they show."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
_spec = importlib.util.spec_from_file_location("regenerate", ROOT / "docs" / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regenerate = sys.modules["regenerate"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)


def code(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_three_stories_are_there() -> None:
    assert [p.stem for p in NOTEBOOKS] == ["01-nt35-deadlock", "02-nt40-recovery-proof", "03-variants-compared"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_use_only_the_public_api(path: Path) -> None:
    for source in code(path):
        assert "sys.path" not in source
        assert not re.search(r"\bleasecheck\.(checker|model|properties)\b|from leasecheck\.", source), source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_with_their_outputs_and_a_picture(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in cells), f"{path.name}: stored without running"
    pictures = [o for c in cells for o in c.outputs
                if o.output_type in ("display_data", "execute_result") and ({"image/svg+xml", "image/png"} & set(o.get("data", {})))]
    assert pictures, f"{path.name} shows no picture"
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]


#: notebook 02 proves single_binding for every budget again (a quarter of a minute): its fresh run is
#: the sweep tier's; the README's test command checks a committed certificate for every budget
#: (tests/test_allsizes_prove.py) and runs the other notebooks
@pytest.mark.parametrize("path", [pytest.param(p, marks=[pytest.mark.sweep, pytest.mark.slow]) if p.stem.startswith("02-")
                                  else p for p in NOTEBOOKS], ids=lambda p: p.stem)
def test_the_stored_outputs_are_what_a_fresh_run_gives(path: Path) -> None:
    fresh = regenerate.outputs(regenerate.execute(path))  # raises CellExecutionError naming a failing cell
    stored = regenerate.outputs(nbformat.read(path, as_version=4))
    for n, (a, b) in enumerate(zip(fresh, stored, strict=True)):
        assert a == b, f"{path.name}, code cell {n + 1}: the stored outputs differ from a fresh run's (python docs/regenerate.py)"


def test_a_python3_kernel_is_installed_with_the_dependencies() -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.language == "python"
