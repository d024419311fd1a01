"""Files to a checked study: priors libraries, study files and their tables, read and resolved once.

::

    priorspec.py          Prior and Priors, the checked, frozen distributions of a study
    priors.py             priors files read into Priors
    priorref.py           priors by reference (ref = "file#entry") and --set values
    priorentry.py         a fitted prior written back as a priors-file table
    conform.py            priors conformed to a model: units converted, domains checked
    callcheck.py          the same at a public call (simulate, sensitivity, ...), once per prior
    tables.py             Key and parse_table, the one table reader; the typed study tables
    studyfile.py          study files: the TOML that wires priors, a model and analyses, resolved
    decision_tables.py    [sweep], [solve] and targets, checked
    precision_text.py     precision = "p_loss:0.005, mean:1%", checked
    discovery_tables.py   [scenarios] and [value_of_information], checked
    calibrate_table.py    [calibrate]: observed outputs, checked
    voi_tables.py         [[value_of_information.studies]] and the table's lever, checked
    sensitivity_table.py  [sensitivity], checked
    plots_table.py        [plots], checked
    thresholds.py         events' and targets' numbers read in the units the study shows
    plausible.py          each prior's median against its input's published range
    hardware.py           the hardware catalogue (priors/hardware-2026.toml): checked and listed
    bibliography.py       the bracketed source keys and priors/SOURCES.md

May import: core, distributions, models.
"""
