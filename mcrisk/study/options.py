"""Every option of a study run, declared once: :class:`RunOptions`.

Each field of :class:`RunOptions` carries its default, its type, its help text, its
command-line flag and its check. Everything else is made from these declarations: the flags of
``mcrisk run`` (and the run options the other commands share, :func:`add_arguments`), the
keywords of :func:`mcrisk.run_study`, the checks (once, when a :class:`RunOptions` is made, with
the validators of :mod:`mcrisk.core.validate`) and the table of ``docs/run-options.md``
(:func:`options_table`).

This module imports only the standard library and :mod:`mcrisk.core` at its top: the command
line builds its parser from it before numpy, scipy or xarray are loaded.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mcrisk.core import validate
from mcrisk.core.errors import SpecError, clip, shorten

__all__ = ["PRECISION_MAX_SAMPLES", "RUN_FLAGS", "RunOptions", "add_arguments", "from_args", "options_table"]

#: The default cap of a precision run (:data:`mcrisk.analyze.precision.MAX_SAMPLES`, spelled out
#: here so that the command line needs no numpy; tests/test_options.py checks they agree).
PRECISION_MAX_SAMPLES = 2**21


def _optional(check: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    return lambda value, where="": None if value is None else check(value, where)


def _positive(key: str) -> Callable[[Any, str], int | None]:
    return _optional(lambda v, where: validate.check_int(v, where, key, 1, validate.MAX_SAMPLES))


def _flag(value: Any, where: str = "", key: str = "") -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{where + ' ' if where else ''}{key} = {shorten(value)} must be True or False")
    return value


def _text(key: str) -> Callable[[Any, str], str | None]:
    def check(value: Any, where: str = "") -> str:
        if not isinstance(value, str):
            raise SpecError(f"{where + ' ' if where else ''}{key} = {shorten(value)} must be a string")
        return value
    return _optional(check)


def _path(key: str) -> Callable[[Any, str], Path | None]:
    def check(value: Any, where: str = "") -> Path:
        if not isinstance(value, str | Path):
            raise SpecError(f"{where + ' ' if where else ''}{key} = {shorten(value)} must be a path")
        return Path(value)
    return _optional(check)


def _precision(value: Any, where: str = "") -> str | None:
    if value is None:
        return None
    from mcrisk.spec.precision_text import parse_precision  # light: the standard library and core

    parse_precision(value, "--precision")
    return value


def _settings(value: Any, where: str = "") -> tuple[tuple[str, float], ...]:
    """``--set`` values: a mapping or pairs of input name -> number, as a tuple of pairs."""
    items = value.items() if isinstance(value, Mapping) else value if value is not None else ()
    try:
        pairs = [(name, v) for name, v in items]
    except (TypeError, ValueError):
        raise SpecError(f"settings = {shorten(value)} must map input names to numbers") from None
    for name, v in pairs:
        if not isinstance(name, str) or not name:
            raise SpecError(f"settings: {shorten(name)} is not an input name")
    return tuple((name, validate.finite_number("--set", validate.show_key(name), v)) for name, v in pairs)


def _parse_setting(text: str) -> tuple[str, float]:
    name, eq, value = text.partition("=")
    if not (eq and name.strip()):
        raise ValueError(text)
    return name.strip(), float(value)


def _option(default: Any, help: str, check: Callable, *, flag: str | None = None, shown: str | None = None,
            parse: Callable[[str], Any] | None = None, bad: str = "{text} is not an integer",
            late: bool = False, **argparse_kw: Any) -> Any:
    """A field of :class:`RunOptions`: its default, and in its metadata what the rest is made from.

    ``help`` is the flag's help (and the meaning in the docs table); ``check(value, where)``
    returns the value, normalised, or raises SpecError; ``flag`` is the command-line flag (None:
    a keyword of the library only); ``shown`` the default as the docs table states it; ``parse``
    turns the flag's text into a value for ``check`` (``bad`` is its message when it cannot);
    ``late``: the flag's value is checked when the options are made, not while the command line
    is parsed (its error is then ``error: ...``, status 2, not a usage error); ``argparse_kw`` more
    keywords for ``add_argument`` (``choices``, ``action``, ``metavar``).
    """
    return field(default=default, metadata={"help": help, "check": check, "flag": flag, "shown": shown,
                                            "parse": parse, "bad": bad, "late": late, "argparse": argparse_kw})


@dataclass(frozen=True)
class RunOptions:
    """The options of one study run: :func:`mcrisk.run_study`'s keywords and ``mcrisk run``'s flags.

    Every option is checked when the object is made (a one-line
    :class:`~mcrisk.core.errors.SpecError`); ``None`` keeps the study's own setting. The library
    is quiet by default (``quiet=True``); the command line shows progress bars unless
    ``--quiet``. The table of ``docs/run-options.md`` is :func:`options_table`.

    Examples
    --------
    >>> RunOptions(samples=500, seed=3, method="lhs").seed
    3
    >>> RunOptions(settings={"gpu_hour_price": 2.5}).settings
    (('gpu_hour_price', 2.5),)
    """

    samples: int | None = _option(None, "number of samples (overrides the study)",
                                  _optional(validate.check_samples), flag="--samples", shown="the study's (`samples`, else 10,000)", parse=int)
    seed: int | None = _option(None, "random seed (overrides the study)", _optional(validate.check_seed),
                               flag="--seed", shown="the study's (`seed`, else 0)", parse=int)
    method: str | None = _option(None, "sampling design (overrides the study)", _optional(validate.check_method),
                                 flag="--method", shown="the study's (`method`, else random)",
                                 choices=validate.SAMPLING_METHODS)
    out: Path | None = _option(None, "output folder (default results/<study>/)", _path("out"), flag="--out",
                               shown="results/<study>/", parse=Path)
    quiet: bool = _option(True, "no progress bars", lambda v, w="": _flag(v, w, "quiet"), flag="--quiet",
                          shown="off", action="store_true")
    formats: tuple[str, ...] = _option(
        ("png", "svg"), f"output formats, comma-separated from {', '.join(validate.OUTPUT_FORMATS)} "
                        "(default png,svg)", validate.check_formats, flag="--formats", parse=str)
    on_nonfinite: str = _option("drop", "NaN or infinite outputs: drop them from the statistics (default), keep "
                                        "them, or stop with an error", validate.check_nonfinite,
                                flag="--on-nonfinite", choices=tuple(validate.NONFINITE))
    chunk_size: int | None = _option(None, "evaluate this many samples at a time", _positive("chunk_size"),
                                     flag="--chunk-size", shown="all at once (2^20 a chunk above 2^21 samples)",
                                     parse=int)
    summary_only: bool = _option(False, "keep the summary, not the per-sample results (bounded memory)",
                                 lambda v, w="": _flag(v, w, "summary_only"), flag="--summary-only", shown="off",
                                 action="store_true")
    workers: int | None = _option(None, "run on a local dask cluster of K workers", _positive("workers"),
                                  flag="--workers", shown="none: in this process", parse=int)
    scheduler: str | None = _option(None, "run on the dask cluster at this address", _text("scheduler"),
                                    flag="--scheduler", parse=str)
    precision: str | None = _option(None, 'add samples until each 95% half-width is within tolerance, e.g. '
                                          '"p_loss:0.005, p05:1%, mean:0.5%" (overrides the study)', _precision,
                                    flag="--precision", shown="the study's (none)", parse=str, late=True)
    max_samples: int | None = _option(None, "the most samples a --precision run may use (default "
                                            f"{PRECISION_MAX_SAMPLES:,})", _positive("max_samples"),
                                      flag="--max-samples", shown=f"{PRECISION_MAX_SAMPLES:,}", parse=int)
    settings: tuple[tuple[str, float], ...] = _option(
        (), "hold an input at a value for this run (repeatable)", _settings, flag="--set", shown="none",
        parse=_parse_setting, bad="{text} must be NAME=VALUE with a number, e.g. gpu_hour_price=2.5",
        action="append", metavar="NAME=VALUE")
    strict: bool = _option(False, "a prior whose median lies far outside its input's plausible range (a likely unit "
                                  "slip) is an error, not a warning; every prior must state its unit; a "
                                  "[calibrate] that too few draws carry (k-hat > 0.7 or under 200 effective) "
                                  "is an error",
                           lambda v, w="": _flag(v, w, "strict"), flag="--strict", shown="off", action="store_true")
    template: Path | None = _option(None, "PowerPoint template for deck.pptx (--formats pptx)", _path("template"),
                                    flag="--template", shown="none: python-pptx's default", parse=Path)
    write: bool = _option(True, "write the output folder (results.nc, summary.csv, analyses)",
                          lambda v, w="": _flag(v, w, "write"))

    def __post_init__(self) -> None:
        for f in fields(self):  # each check once, here; code behind trusts the values
            object.__setattr__(self, f.name, f.metadata["check"](getattr(self, f.name), ""))

    @classmethod
    def of(cls, options: RunOptions | None = None, **given: Any) -> RunOptions:
        """``options`` (default all defaults) with the keywords ``given`` replacing its fields.

        Raises
        ------
        TypeError
            For a keyword that is not a run option (the message lists them).
        """
        if unknown := [k for k in given if k not in _NAMES]:
            raise TypeError(f"{unknown[0]!r} is not a run option; options: {', '.join(_NAMES)}")
        return dataclasses.replace(options, **given) if options is not None else cls(**given)

    def applied(self, study: Any, *, sample_settings: bool = True) -> Any:
        """``study`` (a :class:`~mcrisk.spec.studyfile.Study`) with ``samples``, ``seed``, ``method``
        (unless ``sample_settings`` is False) and ``settings`` applied: what loading its file with
        these options gives. A study loaded once and run with several options needs no re-reading."""
        keys = ("samples", "seed", "method") if sample_settings else ()
        given = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        study = dataclasses.replace(study, **given) if given else study
        if self.settings:
            from mcrisk.spec.priorref import set_inputs

            study = set_inputs(study, dict(self.settings), strict=self.strict)
        return study

    def only(self, names: Iterable[str], what: str) -> RunOptions:
        """``self``, if every option not in ``names`` is at its default; else a SpecError naming it.

        For a path that honours only some options (``what`` names it, e.g. ``"compare"``): an
        option it cannot honour is refused, never silently dropped.
        """
        for f in fields(self):
            if f.name not in names and getattr(self, f.name) != f.default:
                flag = f.metadata["flag"] or f.name
                raise SpecError(f"{what}: {flag} = {shorten(getattr(self, f.name))} is not an option of {what}; "
                                f"options: {', '.join(str(n) for n in names)}")
        return self


_NAMES = tuple(f.name for f in fields(RunOptions))
#: The options ``mcrisk run`` has a flag for, in the order it lists them.
RUN_FLAGS = tuple(f.name for f in fields(RunOptions) if f.metadata["flag"])


def _argument_type(f: dataclasses.Field) -> Callable[[str], Any]:
    """The argparse type of a field: its ``parse``, then its ``check``; both errors as argparse's."""
    meta = f.metadata

    def parse(text: str) -> Any:
        try:
            value = (meta["parse"] or str)(text)
        except ValueError:
            raise argparse.ArgumentTypeError(meta["bad"].format(text=clip(repr(text)))) from None
        if meta["late"] or meta["argparse"].get("action") == "append":
            return value  # checked when RunOptions is made (a list: with its other items)
        try:
            return meta["check"](value, "")
        except SpecError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    return parse


def add_arguments(parser: argparse.ArgumentParser, names: Iterable[str] | None = None,
                  help: Mapping[str, str] | None = None) -> None:
    """Add the flags of the run options ``names`` (default every one with a flag) to ``parser``.

    Parameters
    ----------
    parser
        A command's parser.
    names
        Field names of :class:`RunOptions`, in the order the flags are to be listed.
    help
        Field name -> a help text for this command (``"number of samples (default A's)"``).
    """
    by_name = {f.name: f for f in fields(RunOptions)}
    for name in names if names is not None else RUN_FLAGS:
        f = by_name[name]
        meta, kw = f.metadata, dict(f.metadata["argparse"])
        if "choices" in kw:  # refused by the option's check, in the words the study file's value gets
            kw["metavar"] = "{" + ",".join(kw.pop("choices")) + "}"
            kw["type"] = _argument_type(f)
        elif kw.get("action") != "store_true":
            kw["type"] = _argument_type(f)
        if kw.get("action") not in ("store_true", "append"):
            kw["default"] = f.default
        text = (help or {}).get(name, meta["help"])
        parser.add_argument(meta["flag"], dest=name, help=text.replace("%", "%%"), **kw)


def from_args(args: argparse.Namespace, **given: Any) -> RunOptions:
    """The :class:`RunOptions` of a parsed command line: every run option it has a flag for.

    A switch not given is off (``quiet=False``: the command line shows progress bars).
    """
    return RunOptions(**{**{name: getattr(args, name) for name in _NAMES if hasattr(args, name)}, **given})


def options_table() -> str:
    """The markdown table of ``mcrisk run``'s options (``docs/run-options.md``): flag, default, meaning.

    Returns
    -------
    str
        One row per flag, in the order ``mcrisk run --help`` lists them; a final newline.
    """
    rows = ["| flag | default | meaning |", "| --- | --- | --- |"]
    for f in fields(RunOptions):
        meta = f.metadata
        if not meta["flag"]:
            continue
        kw = meta["argparse"]
        flag = f"{meta['flag']} {kw['metavar']}" if "metavar" in kw else meta["flag"]
        shown = meta["shown"] or (",".join(f.default) if isinstance(f.default, tuple) else
                                  "none" if f.default is None else str(f.default))
        meaning = meta["help"] + (f"; one of {', '.join(kw['choices'])}" if "choices" in kw else "")
        rows.append(f"| `{flag}` | {_code(shown)} | {_code(meaning)} |")
    return "\n".join(rows) + "\n"


def _code(text: str) -> str:
    # a placeholder such as results/<study>/ as code, or markdown would take <study> for HTML
    return re.sub(r"[^\s(]*<[^>\s]*>[^\s)]*", lambda m: f"`{m.group(0)}`", text)
