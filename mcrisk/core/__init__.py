"""The leaves every layer uses: errors, checks, text, labels, statistics, units, forking, output folders.

::

    errors.py      SpecError (bad input, one line) and MCRiskWarning
    validate.py    one validator per run setting (samples, seed, method, formats, ...)
    text.py        numbers and names as text: one formatter family, aligned tables
    labels.py      plain labels, the study's period in words and units
    statistics.py  the percentile list, each statistic per row, the z values
    domains.py     each input's allowed values, one check for files, --set, levers and calls
    warned.py      warnings that stay with the thread that gave them
    events.py      the loss event's one grammar ("< 0", "gross_margin < 0.1")
    thinning.py    the 1 in k samples kept: one step rule, one cap per use, one wording
    units.py       the pint registry and the units the files spell
    tomlfile.py    reading TOML with one-line errors; whether a path is a file, a table a study
    tomlwrite.py   writing a parsed table back as TOML (a study saved from mcrisk serve)
    outfolder.py   output folders checked first, swapped in whole
    outlock.py     one run at a time into an output folder (a lock beside it)
    forking.py     independent jobs in forked processes (Linux), else in turn
    version.py     mcrisk's version and the versions of the libraries behind a number

May import: nothing of mcrisk.
"""
