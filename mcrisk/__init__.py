"""mcrisk: Monte Carlo risk and sensitivity analysis, built for the economics of serving LLMs.

The data flow, one module a step::

    priors.py      load_priors   TOML -> Priors (validated, frozen distributions)
    studyfile.py   load_study    TOML -> Study (model, priors, run settings, analyses)
    sampling.py    sample        unit-cube design (random | lhs | sobol) -> copula -> inverse CDFs
                                 -> inputs Dataset over "sample"
    evaluate.py    evaluate      one vectorised model call -> results Dataset
    simulate.py    simulate      simulate(model, priors, n) or simulate(model, inputs), chunked, dask
    risk.py        summarize     percentiles, P(loss), expected shortfall, MC errors
    tornado.py     tornado       one-at-a-time swings
    sensitivity.py sensitivity   SALib indices on the unit cube (+ rankcorr.py: rank correlations,
                                 loss attribution)
    scenarios.py   scenarios     PRIM boxes: where the loss lives (EMA Workbench)
    voi.py         evppi         EVPI and regression EVPPI: what is worth knowing
    plot/, report.py             slide-ready figures and a self-contained report
    sweep.py       sweep         one lever at several values on common random numbers
    solve.py       solve         the lever value at which a target is just met, with its interval
    compare.py     compare       two studies on common random numbers: B - A with paired intervals
    precision.py                 batches of samples until the intervals are narrow enough
    study.py       run_study     all of the above into an output folder

``mcrisk.sensitivity`` and ``mcrisk.tornado`` are the functions; import from their modules by
name (``from mcrisk.tornado import tornado_frame``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

# The public names are imported on first use (PEP 562), not here: numpy, scipy, xarray and
# SALib take seconds to import, and the command line must start (and answer --help or Ctrl-C)
# at once; even importlib.metadata, for __version__, costs 20 ms. ``from mcrisk import X``
# works as before.
_LAZY = {
    "__version__": ".version",
    "MCRiskWarning": ".errors",
    "Metalog": ".metalog",
    "Option": ".models",
    "Prior": ".priors",
    "Priors": ".priors",
    "SpecError": ".errors",
    "Study": ".study",
    "compare": ".compare",
    "conform_priors": ".conform",
    "fit_data": ".fit",
    "fit_quantiles": ".expert",
    "load_priors": ".priors",
    "load_study": ".study",
    "model": ".models",
    "models": None,  # the subpackage itself
    "priors_from_dict": ".priors",
    "evppi": ".voi",
    "run_study": ".study",
    "sample": ".sampling",
    "scenarios": ".scenarios",
    "sensitivity": ".sensitivity",
    "simulate": ".simulate",
    "solve": ".solve",
    "summarize": ".risk",
    "sweep": ".sweep",
    "tornado": ".tornado",
}

if TYPE_CHECKING:  # what type checkers and IDEs see
    __version__: str
    from . import models
    from .conform import conform_priors
    from .errors import MCRiskWarning, SpecError
    from .expert import fit_quantiles
    from .fit import fit_data
    from .metalog import Metalog
    from .models import Option, model
    from .priors import Prior, Priors, load_priors, priors_from_dict
    from .risk import summarize
    from .sampling import sample
    from .scenarios import scenarios
    from .voi import evppi
    from .sensitivity import sensitivity
    from .simulate import simulate
    from .study import Study, load_study, run_study
    from .tornado import tornado
    from .compare import compare
    from .solve import solve
    from .sweep import sweep

__all__ = [
    "MCRiskWarning",
    "Metalog",
    "Option",
    "Prior",
    "Priors",
    "SpecError",
    "Study",
    "__version__",
    "compare",
    "conform_priors",
    "fit_data",
    "fit_quantiles",
    "evppi",
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
        value = importlib.import_module(f".{name}", __name__)  # ``mcrisk.risk`` without an import
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule mcrisk.simulate binds it as the attribute ``simulate`` of the
        # package, hiding the function of that name; the function wins, as it did when this
        # file imported everything (the submodule stays importable by its full name).
        if isinstance(value, types.ModuleType) and _LAZY.get(name) is not None:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
