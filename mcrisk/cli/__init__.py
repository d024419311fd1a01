"""The ``mcrisk`` command: parses arguments and calls the library; nothing imports it.

::

    main.py      the parser and main()
    commands.py  what each command does with its arguments
    __main__.py  python -m mcrisk.cli

May import: core, distributions, models, spec, sampling, simulation, analyze, elicit, report, study.
"""
