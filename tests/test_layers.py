"""The package's layers point one way: no import cycle, no private name used outside its module.

Both are read from the source with :mod:`ast`, imports inside functions included, so a cycle
cannot hide in a local import. The command line may import the library inside its command
functions (it must start fast); nothing imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mcrisk"


def _modules() -> dict[str, Path]:
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        parts = f.relative_to(PACKAGE.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> list[tuple[str, list[str]]]:
    """``(module imported, names taken from it)`` for every mcrisk import in ``path``."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module or ""
            names = [a.name for a in node.names]
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in mods]
            found += [(s, []) for s in subs]
            if target in mods:
                found.append((target, [n for n in names if f"{target}.{n}" not in mods]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name in mods]
    return [(t, n) for t, n in found if t != name]


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """The first import cycle found by a depth-first walk, or None."""
    done: set[str] = set()

    def visit(m: str, path: list[str]) -> list[str] | None:
        for t in sorted(graph[m]):
            if t in path:
                return [*path[path.index(t):], t]
            if t not in done and (found := visit(t, [*path, t])):
                return found
        done.add(m)
        return None

    return next((c for m in sorted(graph) if (c := visit(m, [m]))), None)


def test_the_import_graph_has_no_cycle() -> None:
    mods = _modules()
    graph = {m: {t for t, _ in _imports(m, f, mods)} for m, f in mods.items()}
    assert _cycle(graph) is None


def test_no_private_name_is_imported_from_another_module() -> None:
    mods = _modules()
    private = [(m, t, n) for m, f in mods.items() for t, names in _imports(m, f, mods)
               for n in names if n.startswith("_") and n != "__version__"]
    assert private == []


def test_nothing_imports_the_command_line() -> None:
    command_line = ("mcrisk.cli", "mcrisk.commands")  # the parser and main; what each command does
    mods = _modules()
    assert [m for m, f in mods.items() if m not in command_line
            and any(t in command_line for t, _ in _imports(m, f, mods))] == []


def test_the_checker_finds_a_cycle(tmp_path: Path) -> None:
    # The checker itself: two modules importing each other inside functions are a cycle.
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from .b import g\n")
    b.write_text("def g():\n    from .a import f\n")
    mods = {"mcrisk.a": a, "mcrisk.b": b}
    assert _imports("mcrisk.a", a, mods) == [("mcrisk.b", ["g"])]
    assert _imports("mcrisk.b", b, mods) == [("mcrisk.a", ["f"])]
    assert _cycle({m: {t for t, _ in _imports(m, f, mods)} for m, f in mods.items()}) == [
        "mcrisk.a", "mcrisk.b", "mcrisk.a"]


def test_moved_names_still_work_with_a_deprecation_warning() -> None:
    import importlib
    import sys
    from types import SimpleNamespace

    import numpy as np
    import pytest

    from mcrisk import copula, plot
    from mcrisk.sampling import copula_factor

    sys.modules.pop("mcrisk.deckstyle", None)
    with pytest.warns(DeprecationWarning, match="mcrisk.deckstyle is deprecated: import these names from mcrisk.plot"):
        deckstyle = importlib.import_module("mcrisk.deckstyle")
    assert deckstyle.save_figure is plot.save_figure and deckstyle.format_value is plot.format_value
    pairs = (SimpleNamespace(a="x", b="y", rank=0.5),)
    with pytest.warns(DeprecationWarning, match=r"use mcrisk.copula.copula_factor\(priors.correlations, names\)"):
        old = copula_factor(SimpleNamespace(correlations=pairs), ("x", "y"))
    np.testing.assert_array_equal(old, copula.copula_factor(pairs, ("x", "y")))


def test_checking_every_study_imports_no_heavy_library() -> None:
    # mcrisk check is the quick answer to "is my file right?": it reads, checks and evaluates
    # the model once with numpy alone. xarray, pandas, scipy.stats, matplotlib and SALib cost
    # seconds to import and are first needed by a run.
    import subprocess
    import sys

    studies = sorted(str(p) for p in (PACKAGE.parent / "studies").glob("*.toml"))
    code = ("import sys; from mcrisk.cli import main; rc = main(['check', *sys.argv[1:]]); "
            "heavy = ('xarray', 'pandas', 'scipy.stats', 'matplotlib', 'SALib', 'dask'); "
            "print(rc, [m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, *studies], capture_output=True, text=True,
                         cwd=PACKAGE.parent, check=True).stdout.splitlines()
    assert len(studies) > 5
    assert out[-1] == "0 []", "\n".join(out)
