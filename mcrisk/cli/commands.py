"""What each ``mcrisk`` command does with its parsed arguments: one function a command.

:mod:`mcrisk.cli` parses the command line and calls the function :data:`COMMANDS` holds for the
command; each function calls the library and prints what the command reports. Each imports the
library inside itself, when its command runs: this module imports only the standard library,
:mod:`mcrisk.core.errors`, :mod:`mcrisk.core.validate` and :mod:`mcrisk.study.options` at its top, so that ``mcrisk --help`` and a
usage error answer at once (numpy, scipy, xarray and SALib take seconds to import).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcrisk.core import validate
from mcrisk.core.errors import SpecError
from mcrisk.core.text import aligned
from mcrisk.core.tomlfile import is_file, is_study
from mcrisk.study.options import from_args

__all__ = ["COMMANDS"]


def _run(args: argparse.Namespace) -> None:
    from mcrisk.study.runner import run_study

    run_study(args.study, options=from_args(args), echo=print)


def _serve(args: argparse.Namespace) -> int:
    from mcrisk.study.serve import serve_study

    return serve_study(args.study, port=args.port, options=from_args(args, quiet=True), echo=_said)


def _said(text: str) -> None:
    print(text, flush=True)  # the address, at once, even when stdout is a pipe


def _deck(args: argparse.Namespace) -> None:
    from mcrisk.report.deck import check_template, write_deck
    from mcrisk.study.folderrun import read_run

    if args.template is not None:
        check_template(args.template)
    run = read_run(args.study, args.out)
    print(f"wrote {write_deck(run, run.out / 'deck.pptx', template=args.template)}")


def _sensitivity(args: argparse.Namespace) -> None:
    from mcrisk.study.reruns import run_sensitivity

    run_sensitivity(args.study, method=args.sensitivity_method, samples=args.sensitivity_samples,
                    options=from_args(args), echo=print)


def _solve(args: argparse.Namespace) -> None:
    from mcrisk.analyze.decision_run import solve_study

    tolerance = args.tolerance
    if tolerance is not None and not tolerance.strip().endswith("%"):
        try:
            tolerance = float(tolerance)
        except ValueError:
            pass  # refused by [solve]'s own check, in the words the file's value gets
    opts = from_args(args)
    solve_study(args.study, lever=args.lever, target=args.target, low=args.low, high=args.high,
                tolerance=tolerance, samples=opts.samples, seed=opts.seed, method=opts.method, out=opts.out,
                echo=print)


def _compare(args: argparse.Namespace) -> None:
    from mcrisk.study.compare import compare_studies

    compare_studies(args.a, args.b, options=from_args(args), echo=print)


def _discovery(args: argparse.Namespace) -> None:
    from mcrisk.study.reruns import run_discovery

    table = {"output": args.output, "event": getattr(args, "event", None),
             "threshold_density": getattr(args, "threshold_density", None)}
    run_discovery(args.study, "scenarios" if args.command == "scenarios" else "value_of_information",
                  options=from_args(args), echo=print, **table)


def _check(args: argparse.Namespace) -> int:
    from mcrisk.spec.bibliography import study_folders
    from mcrisk.spec.hardware import is_catalogue
    from mcrisk.spec.priors import load_priors, read_toml
    from mcrisk.spec.studyfile import load_study

    status = 0
    for f in args.files:
        try:
            data, _ = read_toml(f)
            if is_catalogue(data):
                status = max(status, _check_catalogue(f, args.strict))
            elif is_study(data):
                s = load_study(f, strict=args.strict)
                print(f"{f}: study ok ({s.model_ref}, {len(s.priors)} inputs, "
                      f"{len(s.priors.uncertain)} uncertain)")
                status = max(status, _cited(f, s.priors, args.strict, *study_folders(s)))
            else:
                p = load_priors(f)
                if args.strict:
                    from mcrisk.spec.conform import require_units

                    require_units(p, where=str(f))
                from mcrisk.spec.plausible import check_plausible_priors

                check_plausible_priors(p, at=lambda name, f=f: f"{f}: [{validate.show_key(name)}]",
                                       strict=args.strict)
                print(f"{f}: priors ok ({len(p)} inputs, {len(p.uncertain)} uncertain)")
                status = max(status, _cited(f, p, args.strict))
        except SpecError as err:  # report every bad file, not only the first
            print(f"error: {err}", file=sys.stderr)
            status = 2
    return status


def _cited(f: Path, priors, strict: bool, *extra: Path) -> int:
    """Warn (``--strict``: error, status 2) about source keys no bibliography (SOURCES.md) holds."""
    from mcrisk.spec.bibliography import bibliography, unknown_keys

    folders = [*(Path(p).parent for p, _ in priors.texts), *extra]
    if not strict and not bibliography(folders):
        return 0  # no bibliography beside these files: nothing to check against (--strict: every key)
    missing = unknown_keys(priors, extra)
    for name, key in missing:
        print(f"{'error' if strict else 'warning'}: {f}: [{name}] source cites [{key}], which no SOURCES.md "
              "beside the priors files holds", file=sys.stderr)
    return 2 if strict and missing else 0


def _check_catalogue(f: Path, strict: bool) -> int:
    """``check`` of a hardware catalogue: its entries, then its source keys (``--strict``: an error)."""
    from mcrisk.spec.hardware import catalogue_unknown_keys, load_catalogue

    catalogue = load_catalogue(f)
    curves = sum(len(a.curves) for a in catalogue)
    print(f"{f}: hardware catalogue ok ({len(catalogue)} accelerators, {curves} throughput curves)")
    missing = catalogue_unknown_keys(catalogue, f)
    for table, key in missing:
        print(f"{'error' if strict else 'warning'}: {f}: [{table}] source cites [{key}], which no SOURCES.md "
              "beside the catalogue holds", file=sys.stderr)
    return 2 if strict and missing else 0


def _describe_hardware(path: Path) -> None:
    """``describe hardware`` (or a catalogue's path): the catalogue as a table."""
    from mcrisk.spec.hardware import catalogue_table, load_catalogue
    from mcrisk.spec.priors import read_toml

    if not is_file(path):
        raise SpecError(f"describe: hardware lists {path}, which is not in {Path.cwd()}; give the catalogue's "
                        "path, e.g. mcrisk describe priors/hardware-2026.toml")
    data, _ = read_toml(path)
    print(f"{path}: {data.get('description', 'hardware catalogue')}\n")
    for line in catalogue_table(load_catalogue(path), data.get("currency", "USD")):
        print(f"  {line}")
    print("\nRent and owned cost are priors (lognormal P5-P95 as given); a curve's points are "
          "[interactivity, output tokens/s per GPU].\nA study refers to them as FILE.toml#h100.rent_per_gpu_hour "
          "and FILE.toml#h100.curves.NAME.")


def _fit(args: argparse.Namespace) -> None:
    from mcrisk.elicit.expert import fit_expert
    from mcrisk.study.fitting import fit_file

    families = None if args.family == "auto" else [f.strip() for f in args.family.split(",") if f.strip()]
    if args.quantiles is not None:
        if args.data is not None or args.column or args.weights:
            raise SpecError("fit: give either DATA.csv --column COL or --quantiles, not both")
        fit_expert(args.quantiles, families=families, low=args.low, high=args.high, unit=args.unit,
                   name=args.name, out=args.out, source=args.source, note=args.note, replace=args.replace)
    else:
        if args.data is None or not args.column:
            raise SpecError("fit: give DATA.csv --column COL, or --quantiles \"0.1:2, 0.5:3, 0.9:6\"")
        fit_file(args.data, args.column, families=families, weights=args.weights, unit=args.unit,
                 name=args.name, out=args.out, plot=args.plot, source=args.source, note=args.note,
                 replace=args.replace)


def _describe(args: argparse.Namespace) -> None:
    """Print a model's inputs and outputs; for a study file, also what the study gives each input."""
    from mcrisk.models import model_inputs
    from mcrisk.spec.hardware import DEFAULT_CATALOGUE

    ref = args.model
    if ref == "hardware" or ref.endswith(".toml") and _is_catalogue_file(Path(ref)):
        return _describe_hardware(DEFAULT_CATALOGUE if ref == "hardware" else Path(ref))
    model, title, study = _described(ref)
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
    period = study.period_days if study else None
    rows_out = [(k, *_per_period(v, unit(v), period)) for k, v in meta_out.items()]
    # One layout (core.text.aligned) for both lists: names and units line up across them.
    k = len(rows[0]) if rows else 3
    table = aligned([*rows, *((*r[:2], *[""] * (k - 2)) for r in rows_out)], left=k)[:len(rows)]
    table_out = aligned([*((*r[:2], "") for r in rows), *rows_out], left=3)[len(rows):]
    if study and rows:  # the heading of the study's column (the fourth), above it
        name_w, unit_w = (max(len(r[j]) for r in [*rows, *rows_out]) for j in (0, 1))
        print(f"{'Inputs':<{name_w + unit_w + max(len(r[2]) for r in rows) + 8}}in this study")
    else:
        print("Inputs")
    for line in table:
        print(f"  {line}")
    print("\nOutputs")
    for line in table_out:
        print(f"  {line}")
    if not rows_out:
        print("  not declared; found by evaluating the model once (@mcrisk.model(outputs=...) declares them)")
    _describe_tail(model, study, optional)


def _described(ref: str):
    """``(model, title, study or None)`` for ``describe REF``: a study file, a built-in or FILE.py:function."""
    from mcrisk.models import MODELS, resolve_model

    if ref.endswith(".toml"):
        from mcrisk.study.runner import load_study

        study = load_study(Path(ref))
        return study.model, f"{ref}: model {study.model_ref}", study
    if ref in MODELS or ":" in ref:
        return resolve_model(ref, base=Path.cwd(), where="describe: model"), ref, None
    raise SpecError(f"describe: model = {ref!r} is not a built-in model; known: {', '.join(MODELS)} "
                    "(or FILE.py:function, package.module:function, STUDY.toml)")


def _describe_tail(model, study, optional) -> None:
    """``describe``'s closing blocks: the model's options, what the study does or the default output, domains."""
    from mcrisk.models import option_rows
    from mcrisk.spec.conform import domains_text

    if options := option_rows(model):  # fixed settings a study gives in [options]
        print("\nOptions ([options] in a study)")
        for line in aligned([list(r) for r in options], left=3):
            print(f"  {line}")
    if study:
        _study_summary(study, [k for k in optional if k not in study.priors])
    else:
        if default := getattr(model, "default_output", None):
            print(f"\nA study analyses {default} unless it sets output = \"...\".")
        print("{currency} is the study's currency.")
    if text := domains_text(model):
        print(f"\n{text}")


def _is_catalogue_file(path: Path) -> bool:
    from mcrisk.spec.hardware import is_catalogue
    from mcrisk.spec.priors import read_toml

    return is_file(path) and is_catalogue(read_toml(path)[0])


def _study_summary(study, free: list[str]) -> None:
    """``describe STUDY``'s closing lines: its period, its output and what it does with the inputs."""
    from mcrisk.core.labels import period_name, sentence_labels

    fixed = [k for k in study.priors if study.priors[k].is_constant]
    analysed, period = study.output, study.period_days
    if (per := period_name(period)) != "day":
        print(f"\nMoney is shown per {per} (period_days = {period:g}), as the run shows it; the "
              f"names stay as the model spells them, and a number typed for one is read per {per}.")
        analysed += f" ({sentence_labels(study.model, study.priors, period, [study.output])[study.output]})"
    print(f"\nThe study analyses {analysed}. It sets {len(study.priors)} inputs "
          f"({len(study.priors.uncertain)} uncertain: {', '.join(study.priors.uncertain) or 'none'}; "
          f"{len(fixed)} constant) and leaves "
          + (f"{len(free)} at the model's defaults: {', '.join(free)}." if free else "none at the model's defaults."))


def _per_period(var, unit: str, period_days: float | None) -> tuple[str, str]:
    """An output's unit and meaning as the study shows them: money per day per its period."""
    from mcrisk.core.labels import period_text, period_unit

    if var.unit != "{currency}/day":  # only money is restated, as mcrisk.core.statistics.per_period does
        return unit, var.long_name
    return period_unit(unit, period_days), period_text(var.long_name, period_days)


#: The function of each command, by the name the parser gives it (``args.command``).
COMMANDS = {"run": _run, "serve": _serve, "check": _check, "describe": _describe, "sensitivity": _sensitivity,
            "solve": _solve, "compare": _compare, "scenarios": _discovery, "voi": _discovery, "deck": _deck,
            "fit": _fit}
