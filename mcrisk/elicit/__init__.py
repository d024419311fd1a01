"""Priors from evidence: fitted to data, or to an expert's quantiles.

::

    fit.py     maximum likelihood over candidate families, ranked by AIC
    expert.py  least squares through an expert's quantiles, and the metalog

May import: core, distributions, models, spec, sampling, simulation, analyze.
"""
