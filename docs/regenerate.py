"""Regenerates what README.md and docs/*.md show from the commands written beside it, and the
notebooks in notebooks/ with their outputs.

A generated part is marked by an HTML comment, which a rendered page does not show:

``<!-- generated: leasecheck ARGS -->``
    The fenced block that follows is the command's output: the line ``$ leasecheck ARGS``, what
    it prints on standard output and, when its exit status is not 0, ``$ echo $?`` and the status.

``<!-- generated picture: leasecheck ARGS -->``
    The command draws the picture that the next image line (``![...](PATH)``) shows; ARGS name
    that file by its path from the repository's top.

Commands run as ``python -m leasecheck ARGS`` from the repository's top, with this checkout's
code. What differs from one run to the next is masked when a fresh run is compared with what is
committed: times in seconds, and an SVG's date. Pictures are compared by content: an SVG as text, a
PNG by its pixels.

Not generated, and why: docs/conformance-matrix.png is a measurement of real DHCP daemons
(``sudo leasecheck conform --matrix``, root and the daemons installed, about an hour);
docs/policies/sweep-*.png are drawn by ``leasecheck sweep`` with the records beside them (the 3x3
sweep takes hours; tests/test_policy_sweep.py checks the tables of docs/policies.md against the
records). The all-sizes table of docs/policies.md and docs/policies/allsizes.png are generated, from
the committed records (``leasecheck prove --policies all --no-run``), not by proving again.

    python docs/regenerate.py                  # rewrite every block, picture and notebook
    python docs/regenerate.py --check          # exit 1, naming each part a fresh run changes
    python docs/regenerate.py --no-notebooks   # the documents only (seconds, not a minute)
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

_OUTPUT = re.compile(r"^<!-- generated: (leasecheck .*?) -->$")
_PICTURE = re.compile(r"^<!-- generated picture: (leasecheck .*?) -->$")
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")
_SECONDS = re.compile(r"\b\d+(?:\.\d+)? s\b")
_SVG_DATE = re.compile(r"<dc:date>.*?</dc:date>", re.S)


def documents() -> list[Path]:
    """Every page that may hold generated parts."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def environment() -> dict[str, str]:
    """The environment of a command or a notebook's kernel: this checkout's code, UTF-8 output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("COLUMNS", None)
    return env


def run(command: str) -> tuple[str, int]:
    """Standard output and exit status of ``leasecheck ARGS``, run from the repository's top."""
    args = shlex.split(command)
    if args[0] != "leasecheck":
        raise ValueError(f"a generated part runs leasecheck, not {args[0]!r}")
    done = subprocess.run([sys.executable, "-m", "leasecheck", *args[1:]], cwd=ROOT, env=environment(),
                          capture_output=True, text=True, encoding="utf-8", timeout=600, check=False)
    if done.returncode not in (0, 1, 3):
        raise RuntimeError(f"{command}: exit status {done.returncode}\n{done.stderr}")
    return done.stdout, done.returncode


def output_block(command: str) -> str:
    """The fenced block a ``generated:`` marker stands for, as a fresh run gives it."""
    out, status = run(command)
    lines = ["```", f"$ {command}", *out.rstrip("\n").split("\n")]
    if status:
        lines += ["$ echo $?", str(status)]
    return "\n".join(lines + ["```"])


def masked(text: str) -> str:
    """``text`` with what changes from run to run replaced: seconds, an SVG's date."""
    return _SVG_DATE.sub("<dc:date/>", _SECONDS.sub("<seconds> s", text))


@dataclass(frozen=True)
class Picture:
    page: Path
    command: str
    path: Path  # from the repository's top

    def draw(self, into: Path | None = None) -> Path:
        """Run the command, drawing into ``into`` instead of the committed file when given."""
        target = into or ROOT / self.path
        args = shlex.split(self.command)
        args = [str(target) if a == str(self.path) else a for a in args]
        run(shlex.join(args))
        return target


def regenerate_page(text: str) -> str:
    """``text`` with every ``generated:`` block replaced by a fresh run's."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        marker = _OUTPUT.match(lines[i])
        i += 1
        if marker is None:
            continue
        if i >= len(lines) or not lines[i].startswith("```"):
            raise ValueError(f"the marker {lines[i - 1]!r} is not followed by a fenced block")
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        out.append(output_block(marker.group(1)))
        i = end + 1
    return "\n".join(out)


def pictures(page: Path) -> Iterator[Picture]:
    """The generated pictures a page shows."""
    lines = page.read_text(encoding="utf-8").split("\n")
    for n, line in enumerate(lines):
        marker = _PICTURE.match(line)
        if marker is None:
            continue
        image = next((_IMAGE.search(x) for x in lines[n + 1:n + 4] if _IMAGE.search(x)), None)
        if image is None:
            raise ValueError(f"{page.name}: the marker {line!r} is not followed by an image")
        path = (page.parent / image.group(1)).resolve().relative_to(ROOT)
        if str(path) not in shlex.split(marker.group(1)):
            raise ValueError(f"{page.name}: {marker.group(1)!r} does not draw {path}")
        yield Picture(page, marker.group(1), path)


def same_picture(a: Path, b: Path) -> bool:
    """Whether two picture files show the same: SVG text up to its date, PNG pixels."""
    if a.suffix.lower() == ".svg":
        return masked(a.read_text(encoding="utf-8")) == masked(b.read_text(encoding="utf-8"))
    import matplotlib.image
    import numpy as np

    x, y = matplotlib.image.imread(a), matplotlib.image.imread(b)
    return bool(x.shape == y.shape and np.array_equal(x, y))


# -- notebooks -------------------------------------------------------------------------------------


def execute(path: Path) -> object:
    """The notebook at ``path`` run top to bottom in a fresh kernel (from notebooks/, this
    checkout's code), with its outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    previous = dict(os.environ)
    os.environ.update(environment())  # the kernel inherits this process's environment
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(previous)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _coalesced(cell.outputs)
    return nb


def _coalesced(shown: list) -> list:  # type: ignore[type-arg]
    """Consecutive pieces of one stream as one output: how a kernel cuts a stream depends on timing."""
    out: list = []  # type: ignore[type-arg]
    for o in shown:
        if o.output_type == "stream" and out and out[-1].output_type == "stream" and out[-1].name == o.name:
            out[-1].text += o.text
        else:
            out.append(o)
    return out


def outputs(nb: object) -> list[list[dict[str, object]]]:
    """Each code cell's outputs, masked (seconds, SVG dates), for comparing two runs."""
    cells = []
    for cell in nb.cells:  # type: ignore[attr-defined]
        if cell.cell_type != "code":
            continue
        shown = []
        for o in _coalesced([o.copy() for o in cell.outputs]):
            item: dict[str, object] = {"type": o.output_type}
            if "text" in o:
                item["text"] = masked(o.text)
            for kind, value in sorted(o.get("data", {}).items()):
                item[kind] = masked(value) if isinstance(value, str) else value
            shown.append(item)
        cells.append(shown)
    return cells


# -- the command -----------------------------------------------------------------------------------


def check_all(notebooks: bool) -> list[str]:
    """What a fresh run would change, one line each."""
    changed = []
    with tempfile.TemporaryDirectory() as scratch:
        for page in documents():
            text = page.read_text(encoding="utf-8")
            if masked(regenerate_page(text)) != masked(text):
                changed.append(f"{page.relative_to(ROOT)}: a command's output differs")
            for pic in pictures(page):
                fresh = pic.draw(Path(scratch) / pic.path.name)
                if not same_picture(fresh, ROOT / pic.path):
                    changed.append(f"{pic.path}: the picture differs from what `{pic.command}` draws")
        if notebooks:
            import nbformat

            for path in sorted(NOTEBOOKS.glob("*.ipynb")):
                if outputs(execute(path)) != outputs(nbformat.read(path, as_version=4)):
                    changed.append(f"{path.relative_to(ROOT)}: the stored outputs differ from a fresh run's")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming what a fresh run changes")
    parser.add_argument("--no-notebooks", action="store_true", help="leave the notebooks alone")
    args = parser.parse_args(argv)
    if args.check:
        changed = check_all(not args.no_notebooks)
        for line in changed:
            print(line)
        return 1 if changed else 0
    # a part whose content is unchanged is left as it is (no new times, no churn in git)
    with tempfile.TemporaryDirectory() as scratch:
        for page in documents():
            text = page.read_text(encoding="utf-8")
            fresh = regenerate_page(text)
            if masked(fresh) != masked(text):
                page.write_text(fresh, encoding="utf-8")
                print(f"wrote {page.relative_to(ROOT)}")
            for pic in pictures(page):
                drawn = pic.draw(Path(scratch) / pic.path.name)
                if not (ROOT / pic.path).exists() or not same_picture(drawn, ROOT / pic.path):
                    (ROOT / pic.path).write_bytes(drawn.read_bytes())
                    print(f"drew {pic.path}")
    if not args.no_notebooks:
        import nbformat

        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            nb = execute(path)
            if outputs(nb) != outputs(nbformat.read(path, as_version=4)):
                nbformat.write(nb, path)
                print(f"ran {path.relative_to(ROOT)}: new outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
