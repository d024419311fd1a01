"""Running a model over sampled inputs: evaluate, chunk, stream, distribute.

::

    evaluate.py     one vectorised model call on a set of inputs
    engine.py       simulate: chunks, provenance, non-finite outputs
    streaming.py    runs too large to hold, summarised in two passes
    blocksums.py    sums over blocks at fixed sample positions, the same whatever the chunks
    monthly.py      the statistics of outputs over months, month by month, from streamed sums
    distributed.py  a dask cluster, local or by address

May import: core, distributions, models, spec, sampling.
"""
