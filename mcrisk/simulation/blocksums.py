"""Sums over blocks at fixed sample positions: the same to the last bit whatever the chunks.

A streamed run (:mod:`mcrisk.simulation.streaming`) sees its samples chunk by chunk; a numpy sum
per chunk, added over the chunks, rounds differently for every chunk size. Here every sum is
taken over blocks of :data:`BLOCK` samples that do not move with the chunks (a block cut by a
chunk's edge is joined from its pieces first), and the block sums are added in block order by
:func:`math.fsum`: a run's mean, std and ES05 are then the same for any chunk size or number of
workers (``tests/test_chunking.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["BLOCK", "block_sums", "fsum_blocks"]

#: Samples per block of a streamed sum: blocks sit at fixed sample positions, whatever the chunks.
BLOCK = 4096


def block_sums(x: np.ndarray, start: int) -> tuple[dict[int, float], dict[int, tuple[int, np.ndarray]]]:
    """Sums of ``x`` (samples ``start``, ``start + 1``, ...) over the :data:`BLOCK`-sample blocks it holds whole,
    and the pieces of the blocks it holds in part (block -> (offset in the block, values))."""
    stop = start + x.size
    whole_from, whole_to = -(-start // BLOCK), stop // BLOCK  # blocks [whole_from, whole_to) lie inside
    sums, pieces = {}, {}
    if whole_from >= whole_to:  # no whole block: at most two pieces
        for b in range(start // BLOCK, (stop - 1) // BLOCK + 1 if x.size else start // BLOCK):
            a, z = max(start, b * BLOCK), min(stop, (b + 1) * BLOCK)
            pieces[b] = (a - b * BLOCK, x[a - start:z - start].copy())  # a copy: a view keeps the chunk
        return sums, pieces
    head, tail = whole_from * BLOCK - start, whole_to * BLOCK - start
    if head:
        pieces[whole_from - 1] = (BLOCK - head, x[:head].copy())
    inner = x[head:tail].reshape(-1, BLOCK)
    sums.update(zip(range(whole_from, whole_to), (float(np.sum(row)) for row in inner), strict=True))
    if tail < x.size:
        pieces[whole_to] = (0, x[tail:].copy())
    return sums, pieces


def fsum_blocks(parts: Sequence[tuple[dict[int, float], dict[int, tuple[int, np.ndarray]]]]) -> float:
    """The sum of every chunk's :func:`block_sums`: each block's sum (a cut block's pieces joined
    in order first), added in block order by :func:`math.fsum`; the same whatever the chunks."""
    sums: dict[int, float] = {}
    pieces: dict[int, list[tuple[int, np.ndarray]]] = {}
    for whole, cut in parts:
        sums.update(whole)
        for b, piece in cut.items():
            pieces.setdefault(b, []).append(piece)
    for b, ps in pieces.items():
        sums[b] = float(np.sum(np.concatenate([v for _, v in sorted(ps, key=lambda t: t[0])])))
    return math.fsum(sums[b] for b in sorted(sums))
