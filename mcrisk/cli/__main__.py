"""``python -m mcrisk.cli``: the command line, as the ``mcrisk`` script runs it."""

import sys

from mcrisk.cli.main import console

sys.exit(console())
