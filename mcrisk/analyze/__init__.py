"""Analyses of a results Dataset: risk, tornado, sensitivity, scenarios, value of information, decisions.

::

    risk.py             percentiles, P(loss), expected shortfall, Monte Carlo errors
    tornado.py          one-at-a-time swings
    sensitivity.py      SALib indices on the unit cube
    salib_methods.py    the SALib methods: design, analyzer, limits (one dispatch dict)
    groups.py           correlated inputs as groups: which, and what their indices mean
    ranking.py          the one ranking of sensitivity results and its first, in words
    rankcorr.py         rank correlations and loss attribution from a plain run
    sensitivity_over.py each month's (or hour's) indices of an output over months or hours
    sensitivity_run.py  a study's [sensitivity] table: run and tables
    prim.py             PRIM's peeling and pasting trajectory (numpy)
    scenarios.py        PRIM boxes: where the loss lives
    voi.py              EVPI and EVPPI: what is worth knowing
    voi_regression.py   the P-spline regression and bootstrap behind EVPPI and EVSI
    evsi.py             EVSI and ENBS: what a study of n observations is worth, and its best size
    voi_lever.py        EVPI and EVPPI against a lever, on common random numbers
    discovery_run.py    a study's [scenarios] and [value_of_information] tables
    psis.py             Pareto-smoothed importance sampling: weights, k-hat, effective sample size
    calibration.py      weights from observed outputs; prior against posterior; equal-weight resample
    calibration_run.py  a study's [calibrate] table: run, print, report section, files
    voi_run.py          the [value_of_information] table's studies and lever: run, print, write, report
    sweep.py            one lever at several values on common random numbers
    solve.py            the lever value at which a target is just met
    solve_eval.py       a solve's statistic per lever value, in memory or streamed in chunks
    cashflow.py         a model over months: cumulative-cash bands, payback and loss months
    frontier.py         cost per million output tokens along a throughput curve (the frontier)
    precision.py        batches of samples until intervals are narrow enough
    replicates.py       LHS and Sobol' replicates of a precision run: batches, draws, interval
    intervals.py        order-statistic intervals of quantiles
    decision_run.py     a study's [sweep] and [solve] tables

May import: core, distributions, models, spec, sampling, simulation.
"""
