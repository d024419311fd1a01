"""Running a model over sampled inputs: evaluate, chunk, stream, distribute.

::

    evaluate.py     one vectorised model call on a set of inputs
    engine.py       simulate: chunks, provenance, non-finite outputs
    streaming.py    runs too large to hold, summarised in two passes
    distributed.py  a dask cluster, local or by address

May import: core, distributions, models, spec, sampling.
"""
