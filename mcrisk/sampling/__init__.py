"""Designs on the unit cube (random, Latin hypercube, Sobol') and each prior's inverse CDF.

::

    design.py  unit_design, to_values and sample: inputs Dataset over "sample"

May import: core, distributions, models, spec.
"""
