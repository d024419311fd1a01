"""mcrisk: Monte Carlo risk and sensitivity analysis, built for the economics of serving LLMs.

The package is folders in data-flow order; each may import those before it, never one after
(``tests/test_layers.py``; ``docs/architecture.md`` draws it)::

    core/           errors, checks, text, labels, statistics, units, forking, output folders
    distributions/  families, inverse CDFs, metalog, copula, correlations
    models/         maas, maas_hourly, maas_monthly, gpu_hour_cost, chains, the @model contract
    spec/           priors and study files -> checked, frozen specs
    sampling/       unit-cube designs -> each prior's inverse CDF -> inputs over "sample"
    simulation/     evaluate, chunk, stream, distribute -> results over "sample"
    analyze/        risk, tornado, sensitivity, scenarios, value of information, sweep, solve, precision
    elicit/         priors fitted to data or to an expert's quantiles
    report/         figures (plot/), report, deck, workbook
    study/          run_study: a study file to an output folder; compare; fit
    cli/            the mcrisk command

This module re-exports the public API by name, each imported on first use:
``mcrisk.simulate``, ``mcrisk.sensitivity`` and ``mcrisk.tornado`` are the functions; their
modules are ``mcrisk.simulation.engine``, ``mcrisk.analyze.sensitivity`` and so on.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

# The public names are imported on first use (PEP 562), not here: numpy, scipy, xarray and
# SALib take seconds to import, and the command line must start (and answer --help or Ctrl-C)
# at once; even importlib.metadata, for __version__, costs 20 ms. ``from mcrisk import X``
# works as before.
_LAZY = {
    "__version__": ".core.version",
    "MCRiskWarning": ".core.errors",
    "Metalog": ".distributions.metalog",
    "Option": ".models",
    "Prior": ".spec.priors",
    "Priors": ".spec.priors",
    "SpecError": ".core.errors",
    "RunOptions": ".study.options",
    "Study": ".study.runner",
    "calibrate": ".analyze.calibration",
    "compare": ".study.compare",
    "conform_priors": ".spec.conform",
    "fit_data": ".elicit.fit",
    "fit_quantiles": ".elicit.expert",
    "load_priors": ".spec.priors",
    "load_study": ".study.runner",
    "model": ".models",
    "models": None,  # the subpackage itself
    "priors_from_dict": ".spec.priors",
    "evppi": ".analyze.voi",
    "evppi_lever": ".analyze.voi_lever",
    "evsi": ".analyze.evsi",
    "run_study": ".study.runner",
    "sample": ".sampling.design",
    "scenarios": ".analyze.scenarios",
    "sensitivity": ".analyze.sensitivity",
    "simulate": ".simulation.engine",
    "solve": ".analyze.solve",
    "summarize": ".analyze.risk",
    "sweep": ".analyze.sweep",
    "tornado": ".analyze.tornado",
}

if TYPE_CHECKING:  # what type checkers and IDEs see
    __version__: str
    from mcrisk import models
    from mcrisk.spec.conform import conform_priors
    from mcrisk.core.errors import MCRiskWarning, SpecError
    from mcrisk.elicit.expert import fit_quantiles
    from mcrisk.elicit.fit import fit_data
    from mcrisk.distributions.metalog import Metalog
    from mcrisk.models import Option, model
    from mcrisk.spec.priors import Prior, Priors, load_priors, priors_from_dict
    from mcrisk.analyze.risk import summarize
    from mcrisk.sampling.design import sample
    from mcrisk.analyze.scenarios import scenarios
    from mcrisk.analyze.voi import evppi
    from mcrisk.analyze.voi_lever import evppi_lever
    from mcrisk.analyze.evsi import evsi
    from mcrisk.analyze.sensitivity import sensitivity
    from mcrisk.simulation.engine import simulate
    from mcrisk.study.options import RunOptions
    from mcrisk.study.runner import Study, load_study, run_study
    from mcrisk.analyze.tornado import tornado
    from mcrisk.study.compare import compare
    from mcrisk.analyze.calibration import calibrate
    from mcrisk.analyze.solve import solve
    from mcrisk.analyze.sweep import sweep

__all__ = [
    "MCRiskWarning",
    "Metalog",
    "Option",
    "Prior",
    "Priors",
    "RunOptions",
    "SpecError",
    "Study",
    "__version__",
    "calibrate",
    "compare",
    "conform_priors",
    "fit_data",
    "fit_quantiles",
    "evppi",
    "evppi_lever",
    "evsi",
    "load_priors",
    "load_study",
    "model",
    "models",
    "priors_from_dict",
    "run_study",
    "sample",
    "scenarios",
    "sensitivity",
    "simulate",
    "solve",
    "summarize",
    "sweep",
    "tornado",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = _LAZY[name]
        value = importlib.import_module(f".{name}" if module is None else module, __name__)
        if module is not None:
            value = getattr(value, name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)  # ``mcrisk.analyze.risk`` without an import
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
