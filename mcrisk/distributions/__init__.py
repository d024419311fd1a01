"""Probability distributions: the families, their inverse CDFs, the metalog and the copula.

::

    families.py     the family registry: parameters, checks, the scipy.stats object each builds
    closedform.py   exact inverse CDFs and 90%-interval conversions
    betappf.py      the tabulated beta inverse CDF
    truncnorm.py    the truncated normal's inverse CDF, in log-probabilities in the tails
    finitedist.py   a point mass and a finite distribution
    metalog.py      the metalog quantile function (Keelin 2016)
    copula.py       the Gaussian copula that imposes rank correlations
    correlations.py the [[correlation]] tables, checked

May import: core.
"""
