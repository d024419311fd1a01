"""Deprecated: the deck style moved to :mod:`mcrisk.plot` (charts, ``save_figure``) and
:mod:`mcrisk.text` (number formats). Importing this module warns and gives the same names."""

from __future__ import annotations

import warnings

from .plot import FORMATS, PALETTE, format_value, label_of, loss_words, percent_text, save_figure, si_number, title_of

__all__ = ["FORMATS", "PALETTE", "format_value", "label_of", "loss_words", "percent_text", "save_figure",
           "si_number", "title_of"]

warnings.warn("mcrisk.deckstyle is deprecated: import these names from mcrisk.plot", DeprecationWarning,
              stacklevel=2)
