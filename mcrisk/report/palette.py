"""The colours every deliverable draws with: the PNG/SVG figures, the deck's charts and the workbook's.

One palette, the Okabe-Ito one of :mod:`mcrisk.report.plot.style` (:data:`PALETTE`), and one
meaning for each colour wherever it is drawn: a loss in vermillion, a profit in blue; an input at
its low quantile (the tornado's P10 bar) in blue, at its high quantile (P90) in orange, as the
tornado figure draws them; a sweep's fan in blues, darkest at the median. The deck and the
workbook take their colours from here; hex strings without ``#`` for python-pptx are
:func:`hex6`.
"""

from __future__ import annotations

from mcrisk.report.plot.style import GAIN, GREY, LOSS, PALETTE, QUANTILE_HIGH, QUANTILE_LOW

__all__ = ["FAN", "GAIN", "GREY", "LOSS", "PALETTE", "QUANTILE_HIGH", "QUANTILE_LOW", "hex6", "tint"]


def tint(colour: str, alpha: float) -> str:
    """``colour`` at opacity ``alpha`` on white, as ``"RRGGBB"``: ``tint("#0072B2", 0.35)`` -> ``"A6CEE4"``."""
    rgb = (int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "".join(f"{round(255 - (255 - c) * alpha):02X}" for c in rgb)


#: A sweep's fan chart as lines: percentile -> (colour without ``#``, drawn wide). The figure's
#: blue, lighter towards the tails: P5/P95 at 0.35 and P25/P75 at 0.6 opacity on white (the
#: figure fills those bands at 0.18 and 0.35, too faint for a line), the median in the blue itself.
FAN: dict[str, tuple[str, bool]] = {"p05": (tint(PALETTE["blue"], 0.35), False), "p25": (tint(PALETTE["blue"], 0.6), False),
                                    "p50": (tint(PALETTE["blue"], 1.0), True), "p75": (tint(PALETTE["blue"], 0.6), False),
                                    "p95": (tint(PALETTE["blue"], 0.35), False)}


def hex6(colour: str) -> str:
    """``"#0072B2"`` -> ``"0072B2"``: a palette colour as python-pptx's ``RGBColor.from_string`` takes it."""
    return colour.lstrip("#").upper()
