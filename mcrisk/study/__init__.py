"""Running a study end to end: the run, its analyses and its output folder; compare; fit a file.

::

    options.py    RunOptions: every run option, declared once (the CLI flags, the docs table)
    runner.py     run_study and load_study: one call from a file to a folder
    reruns.py     a study rerun with one table overridden (mcrisk sensitivity, scenarios, voi)
    compare.py    two studies on common random numbers
    folderrun.py  a finished run read back from its folder (mcrisk deck)
    fitting.py    mcrisk fit on a file: table, entry, figure
    whatif.py     a study's design kept and evaluated again per change (mcrisk serve's numbers)
    saved.py      a what-if written as a study file that mcrisk run reproduces
    pagedata.py   the what-if page's controls, labels, units and colours
    serve.py      mcrisk serve: the page (web/index.html, web/app.js) and its JSON API on 127.0.0.1

May import: core, distributions, models, spec, sampling, simulation, analyze, elicit, report.
options.py imports only core at its top: the command line builds its parser from it.
"""
