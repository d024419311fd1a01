"""Every example in README.md and docs/*.md runs, and prints what the page shows.

The convention, for a fenced block in README.md or docs/*.md:

- ```` ```console ````: run. Each line starting with ``$ `` is a command, typed into bash in a
  fresh temporary copy of the project's ``studies/``, ``priors/``, ``data/``, ``docs/`` and
  ``tests/data/`` (so whatever it writes lands there, never in the project). The lines after it,
  up to the next ``$ ``, are what it prints: stdout and stderr together, in order, without the
  progress bars (tqdm's bars, and the blanks that clear them, are taken out). A line ``...``
  stands for any number of lines, none included. Dates (``2026-12-06``), versions (``0.3.0``)
  and timings (``1.25 s``) are compared as placeholders; trailing blanks and trailing empty lines
  are ignored. A command must succeed (status 0) unless the next command of its block is
  ``echo $?``, which shows the status. ``mcrisk`` in a command is the worktree's (``python -m mcrisk.cli``).
- ```` ```pycon ````: a doctest (``>>>`` prompts), run in such a copy.
- any other block (``sh``, ``toml``, ``python``, ``text``) is not run. A line in one of them that
  types an ``mcrisk`` command must be listed in :data:`NOT_RUN` with the reason, so that no
  example is left unrun silently, and an unknown fence language is an error (a ``consle`` typo
  must not skip a block).

Refreshing the expected outputs after the program's wording changed::

    MCRISK_DOCS_UPDATE=1 python -m pytest -q tests/test_docs.py

rewrites, in place, each console output that no longer matches with what the command really
printed (an output with ``...`` keeps as many lines before its first ``...`` and after its last as
it had, around one ``...``), and the run passes; review the diff before committing it. Pycon
blocks are not rewritten.
"""

from __future__ import annotations

import ast
import difflib
import doctest
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
#: What a temporary copy holds, relative to the project.
COPIED = ("studies", "priors", "data", "docs", "tests/data")
#: Fence languages that are run, and the ones that are not.
RUN = ("console", "pycon")
NOT_RUN_LANGUAGES = ("sh", "toml", "python", "text")
UPDATE = os.environ.get("MCRISK_DOCS_UPDATE") == "1"

#: mcrisk commands shown in blocks that are not run, and why each is not.
NOT_RUN = {
    "pip install . && mcrisk run studies/third_party_provider.toml":
        "installs the package; the main study's numbers are checked by tests/test_studies.py",
    "mcrisk run big.toml --samples 100000000 --summary-only --chunk-size 524288":
        "10^8 samples, over two minutes; big.toml is any study",
    "mcrisk run studies/deepseek_uncertain.toml --workers 4            # a local cluster of 4 processes":
        "starts a dask cluster of 4 processes (the dask extra); tests/test_chunking.py runs one",
    "mcrisk run studies/deepseek_uncertain.toml --scheduler tcp://scheduler-host:8786 --chunk-size 262144":
        "needs a running dask scheduler at that address",
    "mcrisk fit DATA.csv --column COL [--family auto|NAME[,NAME...]] [--weights COL] [--unit U]":
        "a synopsis, not a command",
    "mcrisk serve studies/third_party_provider.toml --samples 20000":
        "serves until Ctrl-C; tests/test_serve.py runs the command, tests/test_serve_page.py its page",
    "mcrisk serve studies/third_party_provider.toml":
        "serves until Ctrl-C; tests/test_serve.py runs the command, tests/test_serve_page.py its page",
}
_COMMAND = re.compile(r"\bmcrisk (?:run|deck|sensitivity|solve|compare|scenarios|voi|check|fit|describe|serve"
                      r"|--\w+)\b")
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_MARK = "@@mcrisk-docs-status@@"


@dataclass(frozen=True)
class Block:
    page: Path
    lang: str
    line: int  # of the opening fence, 1-based
    index: int  # among the page's blocks of this language
    body: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, in order."""
    text = page.read_text(encoding="utf-8")
    found, count = [], {}
    for m in _FENCE.finditer(text):
        lang = m.group(1)
        found.append(Block(page, lang, text.count("\n", 0, m.start()) + 1, count.get(lang, 0), m.group(2)))
        count[lang] = count.get(lang, 0) + 1
    return found


def _all(lang: str | None = None) -> list[Block]:
    return [b for p in PAGES for b in blocks(p) if lang is None or b.lang == lang]


# ---- console blocks ----------------------------------------------------------------------------


def commands(body: str) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` of a console block."""
    out: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif not out:
            raise AssertionError(f"a console block starts with a '$ ' command, not {line!r}")
        else:
            out[-1][1].append(line)
    return out


#: A tqdm progress bar as drawn, from its carriage return: "\rdesc:  50%|███  | 1/2 [00:01<00:01, 1.2s/file]".
_BAR = re.compile(r"\r[^\r\n]*?\d+%\|[^\r\n]*?\]")


def _screen(text: str) -> list[str]:
    """The lines of ``text`` without progress bars (tqdm's, and the blanks clearing them), right-stripped."""
    text = re.sub(r"\r *", "", _BAR.sub("", text))
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


_PLACEHOLDERS = (
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?\b"), "<DATE>"),
    (re.compile(r"(?<![\w.])\d+\.\d+\.\d+(?:\.?(?:dev|post|rc|a|b)\d+)?(?:\+[\w.]+)?(?![\w.])"), "<VERSION>"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)? ?(?:s|ms|min)\b(?!/)"), "<TIME>"),
)


def normalise(line: str) -> str:
    for pattern, placeholder in _PLACEHOLDERS:
        line = pattern.sub(placeholder, line)
    return line.rstrip()


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected``, a ``...`` line standing for any lines."""
    while expected and not expected[-1].strip():
        expected = expected[:-1]
    pattern = "".join(r"(?:[^\n]*\n)*?" if e.strip() == "..." else re.escape(normalise(e)) + r"\n"
                      for e in expected)
    return re.fullmatch(pattern, "".join(normalise(a) + "\n" for a in actual)) is not None


def refreshed(expected: list[str], actual: list[str]) -> list[str]:
    """The expected lines rewritten from ``actual``, keeping the ``...`` elision's head and tail sizes."""
    marks = [i for i, e in enumerate(expected) if e.strip() == "..."]
    if not marks:
        return actual
    head, tail = marks[0], len(expected) - marks[-1] - 1
    if len(actual) <= head + tail:
        return actual
    return [*actual[:head], "...", *(actual[len(actual) - tail:] if tail else [])]


def _copy(tmp: Path) -> Path:
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp / name, ignore=shutil.ignore_patterns("__pycache__", "results"))
    return tmp


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="80", MPLBACKEND="Agg",
               MCRISK_DOCS_PYTHON=sys.executable)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.pop("MCRISK_DEBUG", None)
    return env


def run_block(cmds: list[tuple[str, list[str]]], cwd: Path) -> list[tuple[int, list[str]]]:
    """Run the commands in one bash session; each one's status and screen output."""
    script = ['mcrisk() { "$MCRISK_DOCS_PYTHON" -m mcrisk.cli "$@"; }', "exec 2>&1"]
    for cmd, _ in cmds:
        script += [cmd, f'__status=$?; printf "\\n{_MARK} %d\\n" "$__status"; (exit "$__status")']
    proc = subprocess.run(["bash", "-c", "\n".join(script)], check=False, cwd=cwd, env=_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    printed = proc.stdout.decode("utf-8", "replace")  # bytes: text mode would turn a bar's \r into \n
    parts = re.split(rf"\n?{_MARK} (\d+)\n", printed)
    assert len(parts) == 2 * len(cmds) + 1, printed[-2000:]
    return [(int(parts[2 * i + 1]), _screen(parts[2 * i])) for i in range(len(cmds))]


def _rewrite(block: Block, body: str) -> None:
    """Replace the console block's body in its page (found again by index: earlier ones may have moved)."""
    text = block.page.read_text(encoding="utf-8")
    m = [m for m in _FENCE.finditer(text) if m.group(1) == block.lang][block.index]
    block.page.write_text(text[:m.start(2)] + body + text[m.end(2):], encoding="utf-8")


@pytest.mark.parametrize("block", _all("console"), ids=lambda b: b.id)
def test_console_example_prints_what_the_page_shows(block: Block, tmp_path: Path) -> None:
    cmds = commands(block.body)
    got = run_block(cmds, _copy(tmp_path))
    for i, ((cmd, _), (status, _)) in enumerate(zip(cmds, got, strict=True)):
        shown = i + 1 < len(cmds) and cmds[i + 1][0].strip() == "echo $?"
        assert status == 0 or shown, f"{block.id}: `{cmd}` exited with status {status}"
    if UPDATE:
        new = [line for (cmd, want), (_, lines) in zip(cmds, got, strict=True)
               for line in [f"$ {cmd}", *(want if matches(want, lines) else refreshed(want, lines))]]
        if new != block.body.splitlines():
            _rewrite(block, "\n".join(new) + "\n")
        return
    for (cmd, want), (_, lines) in zip(cmds, got, strict=True):
        diff = "\n".join(difflib.unified_diff(want, lines, "the page", "printed", lineterm=""))
        assert matches(want, lines), (f"{block.id}: `{cmd}` printed otherwise "
                                      f"(MCRISK_DOCS_UPDATE=1 refreshes):\n{diff}")


# ---- pycon blocks ------------------------------------------------------------------------------


@pytest.mark.parametrize("block", _all("pycon"), ids=lambda b: b.id)
def test_python_example_gives_what_the_page_shows(block: Block, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_copy(tmp_path))
    test = doctest.DocTestParser().get_doctest(block.body, {}, block.id, str(block.page), block.line)
    assert test.examples, f"{block.id}: a pycon block without a >>> example"
    out: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)


# ---- the convention itself ---------------------------------------------------------------------


def test_every_fence_language_is_known() -> None:
    unknown = [(b.id, b.lang) for b in _all() if b.lang not in (*RUN, *NOT_RUN_LANGUAGES)]
    assert unknown == []


def test_every_mcrisk_command_in_a_block_not_run_is_listed_with_its_reason() -> None:
    typed = {line.strip().removeprefix("$ ") for b in _all() if b.lang not in RUN
             for line in b.body.splitlines() if _COMMAND.search(line)}
    assert typed == set(NOT_RUN)


def test_the_pages_show_console_examples() -> None:
    # README's worked example and each command's page run; a page cannot lose them unnoticed
    pages = {b.page.name for b in _all("console")}
    assert {"README.md", "commands.md"} <= pages


def test_matching_and_refreshing_follow_the_convention() -> None:
    assert matches(["a", "...", "z"], ["a", "b", "c", "z"])
    assert matches(["a", "...", "z"], ["a", "z"])
    assert not matches(["a", "...", "z"], ["a", "b"])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert matches(["mcrisk 0.2.0, 2026-11-30, 9.0 s"], ["mcrisk 0.3.1.dev4, 2026-12-06, 12.25 s"])
    assert not matches(["20,000 samples"], ["2,000 samples"])
    assert normalise("14.8k tokens/s; 3 s") == "14.8k tokens/s; <TIME>"
    bars = "\ranalyses:   0%|          | 0/1 [00:00<?, ?table/s]"
    done = "\rfiles: 100%|██████████| 2/2 [00:02<00:00,  1.32s/file]\r          \r"
    assert _screen(f"{bars}x\n\n{done}\nwrote y/  \n\n") == ["x", "", "", "wrote y/"]
    assert refreshed(["a", "...", "z"], ["1", "2", "3", "4"]) == ["1", "...", "4"]
    assert refreshed(["a", "b"], ["1"]) == ["1"]


def test_architecture_draws_the_layers_in_their_order() -> None:
    # docs/architecture.md's table, its import diagram (top: cli) and the README's layout list
    # the subpackages in tests/test_layers.py's order, so the pages cannot drift from the check
    tree = ast.parse((ROOT / "tests" / "test_layers.py").read_text(encoding="utf-8"))
    layers = next(ast.literal_eval(n.value) for n in tree.body
                  if isinstance(n, ast.AnnAssign | ast.Assign) and "LAYERS" in ast.unparse(n))
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert tuple(re.findall(r"^\| \d+ \| `(\w+)/` \|", page, re.MULTILINE)) == layers
    diagram = next(b.body for b in blocks(ROOT / "docs" / "architecture.md") if "core " in b.body)
    assert tuple(re.findall(r"^  (\w+) ", diagram, re.MULTILINE))[::-1] == layers
    readme = next(b.body for b in blocks(ROOT / "README.md") if b.body.startswith("mcrisk/\n"))
    assert tuple(re.findall(r"^  (\w+)/ ", readme, re.MULTILINE)) == layers


def _anchors(page: Path) -> set[str]:
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


def test_every_link_between_the_pages_leads_somewhere() -> None:
    broken = []
    for page in PAGES:
        text = _FENCE.sub("", page.read_text(encoding="utf-8"))
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"\w+://", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists() or (anchor and anchor not in _anchors(dest)):
                broken.append((page.name, target))
    assert broken == []
