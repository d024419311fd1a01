"""The ``mcrisk`` command: parses arguments and calls the library, nothing more.

The parser, the signal handling and :func:`main` are here; what each command does is in
:mod:`mcrisk.cli.commands`.

The run options of every command that runs a study are built from their one declaration,
:class:`mcrisk.study.options.RunOptions` (:func:`~mcrisk.study.options.add_arguments`).

Start-up time: this module and :mod:`mcrisk.cli.commands` import only the standard library,
:mod:`mcrisk.core.errors`, :mod:`mcrisk.core.validate` and :mod:`mcrisk.study.options` at their top, and
each command imports what it needs when it runs. numpy, scipy, xarray and SALib take seconds to import; ``mcrisk --help``
and a usage error should not wait for them, and a Ctrl-C while they load must already be this
module's one-line ``interrupted``, not a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from mcrisk.cli.commands import COMMANDS
from mcrisk.core import validate
from mcrisk.core.errors import MCRiskWarning, SpecError, Terminated, clip
from mcrisk.study.options import RUN_FLAGS, add_arguments

__all__ = ["MODEL_NAMES", "console", "main"]

#: The names of :data:`mcrisk.models.MODELS`, spelled out so that building the parser imports no
#: model (tests/test_cli.py checks they agree).
MODEL_NAMES = ("maas", "ishigami", "gfunction", "maas_hourly", "maas_monthly", "gpu_hour_cost")


def _checked(check, what: str = "an integer"):
    """An argparse type: the text as an integer, checked by a validator of :mod:`mcrisk.core.validate`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{clip(repr(text))} is not {what}") from None
        try:
            return check(value)
        except SpecError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    return parse


def _port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise SpecError(f"--port = {value} must be 0 (a free port) to 65535")
    return value


def _sensitivity_method(text: str) -> str:
    try:
        return validate.check_sensitivity_method(text)
    except SpecError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _number_or_text(text: str) -> float | str:
    """A number as a float; other text as it is, for the study table's check to refuse in its words."""
    try:
        return float(text)
    except ValueError:
        return text


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line and exit status 2 like every other error."""

    def error(self, message: str) -> None:
        self.exit(2, f"error: {self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mcrisk", description="Monte Carlo risk and sensitivity "
                                "analysis of LLM serving economics.")
    p.add_argument("--version", action=_Version, help="show mcrisk's version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _study_commands(sub)
    _file_commands(sub)
    return p


#: The run options of sensitivity, scenarios and voi, which run the study whole and write its folder;
#: not --summary-only, which keeps no per-sample results for their analysis.
_WHOLE_RUN = tuple(n for n in RUN_FLAGS if n != "summary_only")


def _study_commands(sub: argparse._SubParsersAction) -> None:
    """The commands that run a study: their run options are :class:`~mcrisk.study.options.RunOptions`'."""
    run = sub.add_parser("run", help="run a study and write its results folder")
    run.add_argument("study", type=Path, help="study TOML file")
    add_arguments(run)  # every run option

    serve = sub.add_parser("serve", help="what-if in the browser: a local page that re-evaluates the study on "
                                         "the same samples as you change its inputs")
    serve.add_argument("study", type=Path, help="study TOML file")
    serve.add_argument("--port", type=_checked(_port, "a port number"), default=8765,
                       help="port on 127.0.0.1 (default 8765; 0 picks a free one)")
    add_arguments(serve, ["samples", "seed", "method", "on_nonfinite", "strict"])

    deck = sub.add_parser("deck", help="write deck.pptx from a study's existing output folder (no rerun)")
    deck.add_argument("study", type=Path, help="study TOML file the folder was written from")
    add_arguments(deck, ["out", "template"], help={"out": "the output folder (default results/<study>/)",
                                                   "template": "PowerPoint template (layouts and theme)"})

    sens = sub.add_parser("sensitivity", help="run only a study's sensitivity analysis")
    sens.add_argument("study", type=Path, help="study TOML file")
    # --method and --samples here are the [sensitivity] table's (method and base N), not run options
    sens.add_argument("--method", type=_sensitivity_method, dest="sensitivity_method", metavar="METHOD",
                      help=f"sensitivity method: {', '.join(validate.SENSITIVITY_METHODS)} (overrides the study's)")
    sens.add_argument("--samples", type=_checked(validate.check_samples), dest="sensitivity_samples",
                      metavar="SAMPLES", help="base sample count N (overrides the study)")
    add_arguments(sens, [n for n in _WHOLE_RUN if n not in ("samples", "method")])

    solve = sub.add_parser("solve", help="find the lever value at which a target is just met")
    solve.add_argument("study", type=Path, help="study TOML file")
    solve.add_argument("--lever", help="the input to solve for (overrides the study's [solve] lever)")
    solve.add_argument("--target", help='e.g. "P(profit_per_day > 0) >= 0.9", "p05(profit_per_day) >= 0", '
                                        '"mean(cost_profit_margin) >= 1"')
    solve.add_argument("--low", type=_number_or_text, help="lowest lever value searched")
    solve.add_argument("--high", type=_number_or_text, help="highest lever value searched")
    solve.add_argument("--tolerance", help='bisection tolerance: lever units, or "0.5%%" of the answer '
                                           '(default 0.1%%)')
    add_arguments(solve, ["samples", "seed", "method", "out"],
                  help={"out": "output folder (default results/<study>-solve/)"})

    comp = sub.add_parser("compare", help="compare two studies on common random numbers (B - A)")
    comp.add_argument("a", type=Path, help="study A (TOML)")
    comp.add_argument("b", type=Path, help="study B (TOML), compared against A")
    add_arguments(comp, ["samples", "seed", "method", "out", "formats"],
                  help={"samples": "number of samples (default A's)", "seed": "random seed (default A's)",
                        "method": "sampling design (default A's)", "out": "output folder (default results/<A>-vs-<B>/)",
                        "formats": f"figure formats, comma-separated from {', '.join(validate.FIGURE_FORMATS)}"})
    for name, what in (("scenarios", "where the loss lives: PRIM boxes of the study's [scenarios] event"),
                       ("voi", "what is worth knowing: EVPI and EVPPI of the study's [value_of_information]")):
        cmd = sub.add_parser(name, help=f"{what} (runs the study and writes its results folder)")
        cmd.add_argument("study", type=Path, help="study TOML file")
        add_arguments(cmd, _WHOLE_RUN)
        cmd.add_argument("--output", help="the output analysed (overrides the study's table)")
        if name == "scenarios":
            cmd.add_argument("--event", help='the event, "< x" or "> x" (overrides the table; default "< 0"); x in '
                                             'the unit the study shows (per month in a per-month study) or with '
                                             'its own, "< 1.5e7 CNY/month"')
            cmd.add_argument("--threshold-density", type=float,
                             help="the box picked: largest coverage with at least this density (default 0.8)")


def _file_commands(sub: argparse._SubParsersAction) -> None:
    """The commands that read files without running a study: check, fit, describe."""
    check = sub.add_parser("check", help="validate priors or study files")
    check.add_argument("files", type=Path, nargs="+")
    check.add_argument("--strict", action="store_true",
                       help="every prior must state its unit, spelled as mcrisk's unit registry knows it, "
                            "every source key must be in the bibliography (SOURCES.md), and no prior's median "
                            "may lie far outside its input's plausible range; exit status 2 where one fails")

    fit = sub.add_parser("fit", help="fit a prior to a CSV column (maximum likelihood) or to an expert's quantiles")
    fit.add_argument("data", type=Path, nargs="?", help="CSV file with a header row")
    fit.add_argument("--column", help="the column to fit")
    fit.add_argument("--quantiles", help='an expert\'s quantiles instead of data, e.g. "0.1:2, 0.5:3, 0.9:6"')
    fit.add_argument("--family", default="auto",
                     help="auto (every family the values allow) or NAME[,NAME...]; one name forces it")
    fit.add_argument("--weights", help="a column of weights (data only)")
    fit.add_argument("--unit", default="", help="the values' unit, written into the entry")
    fit.add_argument("--low", type=float, help="lower bound of the metalog (quantiles only)")
    fit.add_argument("--high", type=float, help="upper bound of the metalog (quantiles only)")
    fit.add_argument("--name", help="the entry's input name (default: the column)")
    fit.add_argument("--source", default="", help="where the data or quantiles come from (the entry's source)")
    fit.add_argument("--note", default="", help="the entry's note (why this family, what the data stand for)")
    fit.add_argument("--out", type=Path, help="add the best fit to this priors file (or create it)")
    fit.add_argument("--replace", action="store_true",
                     help="replace an entry of the same name in the --out file, and an existing --plot "
                          "file (otherwise refused)")
    fit.add_argument("--plot", type=Path, help="figure of the data against the fits (.png, .svg, .pdf); "
                                               "an existing file is refused unless --replace")

    describe = sub.add_parser("describe", help="list a model's inputs and outputs, or what a study gives them")
    describe.add_argument("model", help=f"a built-in model ({', '.join(MODEL_NAMES)}), FILE.py:function, "
                                        "package.module:function, or a study file STUDY.toml")


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked (importlib.metadata, which
    reads it, costs 20-45 ms of every command's start)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kw: object) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kw)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from mcrisk.core.version import __version__

        print(f"mcrisk {__version__}")
        parser.exit()


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mcrisk`` console script; returns the exit status.

    Every outcome is at most one line on stderr: a :class:`~mcrisk.core.errors.SpecError` (status 2),
    Ctrl-C (``interrupted``, 130), SIGTERM (``terminated``, 143; the output folder is left
    old or new, as for Ctrl-C) or any other exception (``error: internal error: ...``, 1;
    ``MCRISK_DEBUG=1`` re-raises it to show the traceback).

    Parameters
    ----------
    argv
        The arguments after the program name; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success (or the command's own status), 2 for a SpecError or too
        little memory, 130 after Ctrl-C, 143 after SIGTERM, 1 for an internal error. Bad
        command-line syntax exits through argparse (``SystemExit`` with status 2).
    """
    try:  # signal handlers can be set only in the main thread; elsewhere the caller's stand
        previous = signal.signal(signal.SIGTERM, _terminate), signal.getsignal(signal.SIGINT)
    except ValueError:
        previous = None
    try:
        return _main(argv)
    except (KeyboardInterrupt, Terminated) as stop:
        if previous is not None:  # a second Ctrl-C or SIGTERM while this prints must not show a traceback
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("terminated" if isinstance(stop, Terminated) else "interrupted", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    # Each warning is one "warning: ..." line, every time, while the command runs: the warnings
    # module's own hook (showwarning), put back when the command returns, so a program that
    # calls main() keeps its warning filters and display.
    with warnings.catch_warnings():
        warnings.simplefilter("always", MCRiskWarning)
        warnings.showwarning = _show_warning
        return _command(args)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _command(args: argparse.Namespace) -> int:
    try:
        status = COMMANDS[args.command](args)
    except SpecError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: not enough memory for this run; use fewer samples, or --chunk-size with "
              "--summary-only", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `mcrisk run ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # a bug of ours (or of a library): one line, not a traceback
        if os.environ.get("MCRISK_DEBUG"):
            raise
        message = clip(" ".join(str(err).split()))  # one line, however long or many-lined
        print(f"error: internal error: {type(err).__name__}: {message} (MCRISK_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1
    return status or 0


def console() -> int:
    """The ``mcrisk`` console script: :func:`main`, then deaf to Ctrl-C and SIGTERM while Python exits.

    The work is done (or reported) when :func:`main` returns; an interrupt that lands while the
    interpreter shuts down must not turn a finished run into a silent exit by signal.

    Returns
    -------
    int
        The exit status, as :func:`main` returns it.
    """
    status = main()
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return status


if __name__ == "__main__":
    sys.exit(console())
