"""mcrisk: Monte Carlo risk and sensitivity analysis, built for the economics of serving LLMs.

The data flow, one module a step::

    priors.py    load_priors   TOML -> Priors (validated, frozen distributions)
    study.py     load_study    TOML -> Study (model, priors, run settings, analyses)
    sampling.py  sample        unit-cube design (random | lhs | sobol) -> inverse CDFs
    simulate.py  simulate      vectorised model call -> xarray.Dataset over "sample"
    risk.py      summarize     percentiles, P(loss), expected shortfall, MC errors
    tornado.py   tornado       one-at-a-time swings
    sensitivity.py sensitivity SALib indices on the unit cube (+ rankcorr.py: rank correlations,
                               loss attribution)
    plot.py, report.py         slide-ready figures and a self-contained report
    study.py     run_study     all of the above into an output folder

``mcrisk.sensitivity`` and ``mcrisk.tornado`` are the functions; import from their modules by
name (``from mcrisk.tornado import tornado_frame``).
"""

from . import models
from .errors import MCRiskWarning, SpecError
from .priors import Prior, Priors, load_priors
from .risk import summarize
from .sampling import sample
from .simulate import simulate
from .study import Study, load_study, run_study
from .tornado import tornado
from .sensitivity import sensitivity
from .version import __version__

__all__ = [
    "MCRiskWarning",
    "Prior",
    "Priors",
    "SpecError",
    "Study",
    "__version__",
    "load_priors",
    "load_study",
    "models",
    "run_study",
    "sample",
    "sensitivity",
    "simulate",
    "summarize",
    "tornado",
]
