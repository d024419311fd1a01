"""The ``mcrisk`` command: parses arguments and calls the library, nothing more.

Start-up time: this module imports only the standard library and :mod:`mcrisk.errors` at its
top, and each command imports what it needs when it runs. numpy, scipy, xarray and SALib take
seconds to import; ``mcrisk --help`` and a usage error should not wait for them, and a Ctrl-C
while they load must already be this module's one-line ``interrupted``, not a traceback.
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

from . import validate
from .errors import MCRiskWarning, SpecError, Terminated, clip

__all__ = ["MODEL_NAMES", "console", "main"]

#: The names of :data:`mcrisk.models.MODELS`, spelled out so that building the parser imports no
#: model (tests/test_cli.py checks they agree).
MODEL_NAMES = ("maas", "ishigami", "gfunction", "maas_hourly", "gpu_hour_cost")


def _checked(check, what: str = "an integer"):
    """An argparse type: the text as an integer, checked by a validator of :mod:`mcrisk.validate`."""
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


def _positive(value: int) -> int:
    return validate.check_int(value, "", "value", 1, validate.MAX_SAMPLES)


def _formats(text: str) -> tuple[str, ...]:
    try:
        return validate.check_formats(text)
    except SpecError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _sensitivity_method(text: str) -> str:
    try:
        return validate.check_sensitivity_method(text)
    except SpecError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _setting(text: str) -> tuple[str, float]:
    name, eq, value = text.partition("=")
    try:
        if not (eq and name.strip()):
            raise ValueError(text)
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{clip(repr(text))} must be NAME=VALUE with a number, "
                                         "e.g. gpu_hour_price=2.5") from None


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line and exit status 2 like every other error."""

    def error(self, message: str) -> None:
        self.exit(2, f"error: {self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mcrisk", description="Monte Carlo risk and sensitivity "
                                "analysis of LLM serving economics.")
    p.add_argument("--version", action=_Version, help="show mcrisk's version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run a study and write its results folder")
    run.add_argument("study", type=Path, help="study TOML file")
    run.add_argument("--samples", type=_checked(validate.check_samples),
                     help="number of samples (overrides the study)")
    run.add_argument("--seed", type=_checked(validate.check_seed), help="random seed (overrides the study)")
    run.add_argument("--method", choices=list(validate.SAMPLING_METHODS), help="sampling design (overrides the study)")
    run.add_argument("--out", type=Path, help="output folder (default results/<study>/)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--formats", type=_formats, default=("png", "svg"),
                     help=f"output formats, comma-separated from {', '.join(validate.OUTPUT_FORMATS)} "
                          "(default png,svg)")
    run.add_argument("--on-nonfinite", choices=list(validate.NONFINITE), default="drop",
                     help="NaN or infinite outputs: drop them from the statistics (default), keep them, "
                          "or stop with an error")
    run.add_argument("--chunk-size", type=_checked(_positive), help="evaluate this many samples at a time")
    run.add_argument("--summary-only", action="store_true",
                     help="keep the summary, not the per-sample results (bounded memory)")
    run.add_argument("--workers", type=_checked(_positive), help="run on a local dask cluster of K workers")
    run.add_argument("--scheduler", help="run on the dask cluster at this address")
    run.add_argument("--precision", help='add samples until each 95%% half-width is within tolerance, e.g. '
                                         '"p_loss:0.005, p05:1%%, mean:0.5%%" (overrides the study)')
    run.add_argument("--max-samples", type=_checked(validate.check_samples),
                     help="the most samples a --precision run may use (default 2,097,152)")
    run.add_argument("--set", type=_setting, action="append", metavar="NAME=VALUE", dest="settings",
                     help="hold an input at a value for this run (repeatable)")
    run.add_argument("--template", type=Path, help="PowerPoint template for deck.pptx (--formats pptx)")

    deck = sub.add_parser("deck", help="write deck.pptx from a study's existing output folder (no rerun)")
    deck.add_argument("study", type=Path, help="study TOML file the folder was written from")
    deck.add_argument("--out", type=Path, help="the output folder (default results/<study>/)")
    deck.add_argument("--template", type=Path, help="PowerPoint template (layouts and theme)")

    sens = sub.add_parser("sensitivity", help="run only a study's sensitivity analysis")
    sens.add_argument("study", type=Path, help="study TOML file")
    sens.add_argument("--method", type=_sensitivity_method,
                      help=f"sensitivity method: {', '.join(validate.SENSITIVITY_METHODS)} (overrides the study's)")
    sens.add_argument("--samples", type=_checked(validate.check_samples),
                      help="base sample count N (overrides the study)")
    sens.add_argument("--out", type=Path, help="output folder (default results/<study>/)")
    sens.add_argument("--quiet", action="store_true", help="no progress bars")

    solve = sub.add_parser("solve", help="find the lever value at which a target is just met")
    solve.add_argument("study", type=Path, help="study TOML file")
    solve.add_argument("--lever", help="the input to solve for (overrides the study's [solve] lever)")
    solve.add_argument("--target", help='e.g. "P(profit_per_day > 0) >= 0.9", "p05(profit_per_day) >= 0", '
                                        '"mean(cost_profit_margin) >= 1"')
    solve.add_argument("--low", type=float, help="lowest lever value searched")
    solve.add_argument("--high", type=float, help="highest lever value searched")
    solve.add_argument("--tolerance", help='bisection tolerance: lever units, or "0.5%%" of the answer '
                                           '(default 0.1%%)')
    solve.add_argument("--samples", type=_checked(validate.check_samples),
                       help="number of samples (overrides the study)")
    solve.add_argument("--seed", type=_checked(validate.check_seed), help="random seed (overrides the study)")
    solve.add_argument("--method", choices=list(validate.SAMPLING_METHODS),
                       help="sampling design (overrides the study)")
    solve.add_argument("--out", type=Path, help="output folder (default results/<study>-solve/)")

    comp = sub.add_parser("compare", help="compare two studies on common random numbers (B - A)")
    comp.add_argument("a", type=Path, help="study A (TOML)")
    comp.add_argument("b", type=Path, help="study B (TOML), compared against A")
    comp.add_argument("--samples", type=_checked(validate.check_samples), help="number of samples (default A's)")
    comp.add_argument("--seed", type=_checked(validate.check_seed), help="random seed (default A's)")
    comp.add_argument("--method", choices=list(validate.SAMPLING_METHODS), help="sampling design (default A's)")
    comp.add_argument("--out", type=Path, help="output folder (default results/<A>-vs-<B>/)")
    comp.add_argument("--formats", type=_formats, default=("png", "svg"),
                      help=f"figure formats, comma-separated from {', '.join(validate.FIGURE_FORMATS)}")
    for name, what in (("scenarios", "where the loss lives: PRIM boxes of the study's [scenarios] event"),
                       ("voi", "what is worth knowing: EVPI and EVPPI of the study's [value_of_information]")):
        cmd = sub.add_parser(name, help=f"{what} (runs the study and writes its results folder)")
        cmd.add_argument("study", type=Path, help="study TOML file")
        cmd.add_argument("--out", type=Path, help="output folder (default results/<study>/)")
        cmd.add_argument("--quiet", action="store_true", help="no progress bars")
        cmd.add_argument("--output", help="the output analysed (overrides the study's table)")
        if name == "scenarios":
            cmd.add_argument("--event", help='the event, "< x" or "> x" (overrides the table; default "< 0")')
            cmd.add_argument("--threshold-density", type=float,
                             help="the box picked: largest coverage with at least this density (default 0.8)")

    check = sub.add_parser("check", help="validate priors or study files")
    check.add_argument("files", type=Path, nargs="+")
    check.add_argument("--strict", action="store_true",
                       help="every prior must state its unit, spelled as mcrisk's unit registry knows it, "
                            "and every source key must be in the bibliography (SOURCES.md); exit status 2 "
                            "where one is missing or unknown")

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
    fit.add_argument("--out", type=Path, help="write the best fit to this priors file")
    fit.add_argument("--plot", type=Path, help="figure of the data against the fits (.png, .svg, .pdf)")

    describe = sub.add_parser("describe", help="list a model's inputs and outputs, or what a study gives them")
    describe.add_argument("model", help=f"a built-in model ({', '.join(MODEL_NAMES)}), FILE.py:function, "
                                        "package.module:function, or a study file STUDY.toml")
    return p


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked (importlib.metadata, which
    reads it, costs 20-45 ms of every command's start)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kw: object) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kw)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from .version import __version__

        print(f"mcrisk {__version__}")
        parser.exit()


def _run(args: argparse.Namespace) -> None:
    from .study import run_study

    study = args.study
    if args.settings:
        from .priorref import set_inputs
        from .study import load_study

        study = set_inputs(load_study(args.study, samples=args.samples, seed=args.seed, method=args.method),
                           dict(args.settings))
    run_study(study, out=args.out, template=args.template, samples=args.samples, seed=args.seed, method=args.method,
              quiet=args.quiet, echo=print, formats=args.formats, chunk_size=args.chunk_size,
              summary_only=args.summary_only, workers=args.workers, scheduler=args.scheduler,
              on_nonfinite=args.on_nonfinite, precision=args.precision, max_samples=args.max_samples)


def _deck(args: argparse.Namespace) -> None:
    from .deck import check_template, write_deck
    from .folderrun import read_run

    if args.template is not None:
        check_template(args.template)
    run = read_run(args.study, args.out)
    print(f"wrote {write_deck(run, run.out / 'deck.pptx', template=args.template)}")


def _sensitivity(args: argparse.Namespace) -> None:
    from .study import run_sensitivity

    run_sensitivity(args.study, method=args.method, samples=args.samples, out=args.out,
                            quiet=args.quiet, echo=print)


def _solve(args: argparse.Namespace) -> None:
    from .decision_study import solve_study

    tolerance = args.tolerance
    if tolerance is not None and not tolerance.strip().endswith("%"):
        try:
            tolerance = float(tolerance)
        except ValueError:
            raise SpecError(f"--tolerance = {clip(repr(tolerance))} must be a number in the lever's units "
                            "or a percentage such as 0.5%") from None
    solve_study(args.study, lever=args.lever, target=args.target, low=args.low, high=args.high,
                tolerance=tolerance, samples=args.samples, seed=args.seed, method=args.method, out=args.out,
                echo=print)


def _compare(args: argparse.Namespace) -> None:
    from .compare import compare_studies

    compare_studies(args.a, args.b, samples=args.samples, seed=args.seed, method=args.method, out=args.out,
                    formats=args.formats, echo=print)
def _discovery(args: argparse.Namespace) -> None:
    from .study import run_discovery

    table = {"output": args.output, "event": getattr(args, "event", None),
             "threshold_density": getattr(args, "threshold_density", None)}
    run_discovery(args.study, "scenarios" if args.command == "scenarios" else "value_of_information",
                  out=args.out, quiet=args.quiet, echo=print, **table)


def _check(args: argparse.Namespace) -> int:
    from .priors import load_priors, read_toml
    from .studyfile import load_study

    status = 0
    for f in args.files:
        try:
            data, _ = read_toml(f)
            if validate.is_study(data):
                s = load_study(f, strict=args.strict)
                print(f"{f}: study ok ({s.model_ref}, {len(s.priors)} inputs, "
                      f"{len(s.priors.uncertain)} uncertain)")
                status = max(status, _cited(f, s.priors, args.strict, Path(f).parent))
            else:
                p = load_priors(f)
                if args.strict:
                    from .conform import require_units

                    require_units(p, where=str(f))
                print(f"{f}: priors ok ({len(p)} inputs, {len(p.uncertain)} uncertain)")
                status = max(status, _cited(f, p, args.strict))
        except SpecError as err:  # report every bad file, not only the first
            print(f"error: {err}", file=sys.stderr)
            status = 2
    return status


def _cited(f: Path, priors, strict: bool, *extra: Path) -> int:
    """Warn (``--strict``: error, status 2) about source keys no bibliography (SOURCES.md) holds."""
    from .bibliography import bibliography, unknown_keys

    folders = [*(Path(p).parent for p, _ in priors.texts), *extra]
    if not strict and not bibliography(folders):
        return 0  # no bibliography beside these files: nothing to check against (--strict: every key)
    missing = unknown_keys(priors, extra)
    for name, key in missing:
        print(f"{'error' if strict else 'warning'}: {f}: [{name}] source cites [{key}], which no SOURCES.md "
              "beside the priors files holds", file=sys.stderr)
    return 2 if strict and missing else 0
def _fit(args: argparse.Namespace) -> None:
    from .expert import fit_expert
    from .fit import fit_file

    families = None if args.family == "auto" else [f.strip() for f in args.family.split(",") if f.strip()]
    if args.quantiles is not None:
        if args.data is not None or args.column or args.weights:
            raise SpecError("fit: give either DATA.csv --column COL or --quantiles, not both")
        fit_expert(args.quantiles, families=families, low=args.low, high=args.high, unit=args.unit,
                   name=args.name, out=args.out, source=args.source, note=args.note)
    else:
        if args.data is None or not args.column:
            raise SpecError("fit: give DATA.csv --column COL, or --quantiles \"0.1:2, 0.5:3, 0.9:6\"")
        fit_file(args.data, args.column, families=families, weights=args.weights, unit=args.unit,
                 name=args.name, out=args.out, plot=args.plot, source=args.source, note=args.note)


def _describe(args: argparse.Namespace) -> None:
    """Print a model's inputs and outputs; for a study file, also what the study gives each input."""
    from .models import MODELS, model_inputs, option_rows, resolve_model

    ref, study = args.model, None
    if ref.endswith(".toml"):
        from .study import load_study

        study = load_study(Path(ref))
        model, title = study.model, f"{ref}: model {study.model_ref}"
    elif ref in MODELS or ":" in ref:
        model, title = resolve_model(ref, base=Path.cwd(), where="describe: model"), ref
    else:
        raise SpecError(f"describe: model = {ref!r} is not a built-in model; known: {', '.join(MODELS)} "
                        "(or FILE.py:function, package.module:function, STUDY.toml)")
    required, optional, anykw = model_inputs(model)
    meta_in, meta_out = getattr(model, "inputs", {}), getattr(model, "outputs", {})
    currency = study.priors.currency if study else None
    doc = (model.__doc__ or "").strip().splitlines()
    print(f"{title}: {doc[0] if doc else '(no docstring)'}\n")

    def given(k: str) -> tuple[str, ...]:  # the study's column: what it gives input k
        if study is None:
            return ()
        if k not in study.priors:
            return ("model default",)
        prior = study.priors[k]
        return (f"constant {prior.describe()}" if prior.is_constant else f"uncertain {prior.describe()}",)

    def unit(var, k: str = "") -> str:
        text = var.unit_in(currency) if var and study else var.unit if var else ""
        return text or (study.priors[k].unit if study and k in study.priors else "")

    extra = [k for k in (study.priors if study else ()) if k not in required and k not in optional]
    rows = [(k, unit(meta_in.get(k), k), "required" if k in required else f"default {optional[k]!r}"
             if k in optional else "any keyword", *given(k), meta_in[k].long_name if k in meta_in else "")
            for k in [*required, *optional, *extra]]
    if anykw and study is None:
        rows.append(("...", "", "any other keyword", ""))
    rows_out = [(k, unit(v), v.long_name) for k, v in meta_out.items()]
    w = [max((len(r[j]) for r in rows + [r[:2] for r in rows_out]), default=0) for j in range(2)]
    w += [max((len(r[j]) for r in rows), default=0) for j in range(2, len(rows[0]) - 1)] if rows else []
    print(f"{'Inputs':<{w[0] + w[1] + w[2] + 8}}in this study" if study else "Inputs")
    for r in rows:
        print(("  " + "  ".join(f"{c:<{w[j]}}" for j, c in enumerate(r[:-1])) + f"  {r[-1]}").rstrip())
    print("\nOutputs")
    for name, u, long_name in rows_out:
        print(f"  {name:<{w[0]}}  {u:<{w[1]}}  {long_name}".rstrip())
    if not rows_out:
        print("  not declared; found by evaluating the model once (@mcrisk.model(outputs=...) declares them)")
    if options := option_rows(model):  # fixed settings a study gives in [options]
        print("\nOptions ([options] in a study)")
        wo = [max(len(r[j]) for r in options) for j in range(2)]
        for name, setting, meaning in options:
            print(f"  {name:<{wo[0]}}  {setting:<{wo[1]}}  {meaning}".rstrip())
    if study:
        fixed = [k for k in study.priors if study.priors[k].is_constant]
        free = [k for k in optional if k not in study.priors]
        print(f"\nThe study analyses {study.output}. It sets {len(study.priors)} inputs "
              f"({len(study.priors.uncertain)} uncertain: {', '.join(study.priors.uncertain) or 'none'}; "
              f"{len(fixed)} constant) and leaves "
              + (f"{len(free)} at the model's defaults: {', '.join(free)}." if free else "none at the model's defaults."))
    else:
        if default := getattr(model, "default_output", None):
            print(f"\nA study analyses {default} unless it sets output = \"...\".")
        print("{currency} is the study's currency.")
    from .conform import domains_text

    if text := domains_text(model):
        print(f"\n{text}")


_COMMANDS = {"run": _run, "check": _check, "describe": _describe, "sensitivity": _sensitivity,
             "solve": _solve, "compare": _compare, "scenarios": _discovery, "voi": _discovery, "deck": _deck,
             "fit": _fit}


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mcrisk`` console script; returns the exit status.

    Every outcome is at most one line on stderr: a :class:`~mcrisk.errors.SpecError` (status 2),
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
    warnings.simplefilter("always", MCRiskWarning)
    warnings.showwarning = lambda msg, cat, *a, **k: print(f"warning: {msg}", file=sys.stderr)
    try:
        status = _COMMANDS[args.command](args)
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
    """
    status = main()
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return status


if __name__ == "__main__":
    sys.exit(console())
