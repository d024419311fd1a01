"""Label layout: annotations lifted until none overlaps another, labels put where they fit.

Works on the rendered extents (display units, points and pixels) of matplotlib artists, so the
figure's layout is settled first (``fig.draw_without_rendering()``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

# Matplotlib is never imported here: the functions take its artists and boxes (a heavy optional
# import for the rest of mcrisk, made by the chart functions that draw them).

__all__ = ["first_fit", "inside", "overlaps", "stagger"]


def overlaps(bb: Any, others: Iterable[Any], pad: float = 2.0) -> bool:
    """Whether box ``bb`` comes within ``pad`` pixels of any box of ``others``.

    Parameters
    ----------
    bb
        A box with ``x0, x1, y0, y1`` in display pixels (a matplotlib ``Bbox``).
    others
        Boxes in the same coordinates.
    pad
        The smallest gap, in pixels, that does not count as an overlap.

    Returns
    -------
    bool
        True if ``bb`` grown by ``pad`` on each side overlaps one of ``others``.
    """
    return any(bb.x0 - pad < o.x1 and o.x0 - pad < bb.x1 and bb.y0 - pad < o.y1 and o.y0 - pad < bb.y1
               for o in others)


def inside(bb: Any, box: Any) -> bool:
    """Whether box ``bb`` lies wholly within ``box``.

    Parameters
    ----------
    bb, box
        Boxes with ``x0, x1, y0, y1`` in the same coordinates (matplotlib ``Bbox``).

    Returns
    -------
    bool
        True if every edge of ``bb`` is on or inside ``box``.
    """
    return bb.x0 >= box.x0 and bb.x1 <= box.x1 and bb.y0 >= box.y0 and bb.y1 <= box.y1


def stagger(ax: Any, labels: Sequence[Any], *, step: float, avoid: Sequence[Any] = ()) -> None:
    """Lift annotations (in x order) by ``step`` points until none overlaps another or ``avoid``.

    Labels that would stick out of the axes on the left or right are turned to start or end at
    their anchor instead of centring on it. At most seven lifts a label.

    Parameters
    ----------
    ax
        The matplotlib Axes; its figure is drawn (without rendering) to measure the labels.
    labels
        The ``Annotation`` artists, placed with offset points (``xyann``); moved in place.
    step
        The lift, in points.
    avoid
        Artists the labels must keep off (8 pixels apart), besides one another.

    Returns
    -------
    None
    """
    fig = ax.figure
    fig.draw_without_rendering()                 # constrained layout settles the axes first
    box = ax.get_window_extent()
    placed = [a.get_window_extent() for a in avoid]
    for ann in sorted(labels, key=lambda a: a.xy[0]):
        bb = ann.get_window_extent()
        if bb.x0 < box.x0:
            ann.set_ha("left")
            ann.xyann = (-3, ann.xyann[1])
        elif bb.x1 > box.x1:
            ann.set_ha("right")
            ann.xyann = (3, ann.xyann[1])
        base = ann.xyann[1]
        for level in range(8):
            ann.xyann = (ann.xyann[0], base + level * step)
            bb = ann.get_window_extent()
            if not overlaps(bb, placed, pad=8.0):
                break
        placed.append(bb)


def first_fit(draw: Callable[..., Any], places: Sequence[tuple], fits: Callable[[Any], bool]) -> Any:
    """Draw a label at each of ``places`` in turn and keep the first whose extent ``fits``.

    ``draw(*place)`` draws the label and returns the artist; a label that does not fit is
    removed before the next is drawn, and the last place is kept when none fits.

    Parameters
    ----------
    draw
        ``draw(*place)`` draws the label at ``place`` and returns the artist.
    places
        The candidate places, in order of preference; at least one.
    fits
        ``fits(extent)`` tells whether a label's window extent (display pixels) is acceptable.

    Returns
    -------
    matplotlib.artist.Artist
        The label kept.
    """
    label = None
    for place in places:
        if label is not None:
            label.remove()
        label = draw(*place)
        if fits(label.get_window_extent()):
            break
    return label
