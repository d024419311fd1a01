"""The package's layers point one way: subpackages in data-flow order, no cycle, no private name shared.

Every check reads the source with :mod:`ast`, imports inside functions included, so a backward
import cannot hide in a local import. The order is :data:`LAYERS`, as each subpackage's
``__init__`` docstring and ``docs/architecture.md`` state it: a module may import its own
subpackage and those before it, never one after it. The top-level ``mcrisk/__init__`` re-exports
the public API lazily and nothing inside the package imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mcrisk"

#: The subpackages in data-flow order: each may import itself and those before it.
LAYERS = ("core", "distributions", "models", "spec", "sampling", "simulation", "analyze", "elicit", "report",
          "study", "cli")


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
    mods = _modules()
    command_line = [m for m in mods if m.startswith("mcrisk.cli")]
    assert [m for m, f in mods.items() if m not in command_line
            and any(t in command_line for t, _ in _imports(m, f, mods))] == []


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_lives_in_a_layer() -> None:
    # The top of the package keeps only its __init__ (the lazy public API).
    assert sorted(m for m in _modules() if _layer(m) is None) == ["mcrisk"]
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)


def test_imports_follow_the_layers() -> None:
    mods = _modules()
    backward = [(m, t) for m, f in mods.items() if _layer(m) is not None for t, _ in _imports(m, f, mods)
                if _layer(t) is None or _layer(t) > _layer(m)]
    assert backward == []


def test_each_subpackage_says_what_it_may_import() -> None:
    for i, name in enumerate(LAYERS):
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text(encoding="utf-8"))) or ""
        allowed = ", ".join(LAYERS[:i]) or "nothing of mcrisk"
        assert f"May import: {allowed}." in " ".join(doc.split()), name


def test_no_module_shares_its_name_with_a_name_its_package_exports() -> None:
    import importlib

    clashes = []
    for m in _modules():
        pkg, _, leaf = m.rpartition(".")
        if pkg and (PACKAGE.parent / pkg.replace(".", "/") / "__init__.py").exists():
            exported = getattr(importlib.import_module(pkg), "__all__", ())
            clashes += [m] if leaf in exported and not (PACKAGE.parent / m.replace(".", "/")).is_dir() else []
    assert clashes == []


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


def test_checking_every_study_imports_no_heavy_library() -> None:
    # mcrisk check is the quick answer to "is my file right?": it reads, checks and evaluates
    # the model once with numpy alone. xarray, pandas, scipy.stats, matplotlib and SALib cost
    # seconds to import and are first needed by a run.
    import subprocess
    import sys

    studies = sorted(str(p) for p in (PACKAGE.parent / "studies").glob("*.toml"))
    code = ("import sys; from mcrisk.cli.main import main; rc = main(['check', *sys.argv[1:]]); "
            "heavy = ('xarray', 'pandas', 'scipy.stats', 'matplotlib', 'SALib', 'dask'); "
            "print(rc, [m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, *studies], capture_output=True, text=True,
                         cwd=PACKAGE.parent, check=True).stdout.splitlines()
    assert len(studies) > 5
    assert out[-1] == "0 []", "\n".join(out)
