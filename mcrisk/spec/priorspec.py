"""What a prior is: :class:`Prior`, one input's checked distribution, and :class:`Priors`, the set.

A :class:`Prior` is immutable: the family and its parameters, the frozen distribution they
build, the unit, source, note, label and base value shown in reports, and the unit scale a
study applied. :class:`Priors` maps input names to them, in order, with the currency, the rank
correlations and the texts of the files they came from. Reading and checking priors files is
:mod:`mcrisk.spec.priors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from mcrisk.distributions.correlations import Correlation
from mcrisk.distributions.families import resolve_family

__all__ = ["Prior", "Priors"]


@dataclass(frozen=True)
class Prior:
    """One input's distribution, with its unit and source.

    Attributes
    ----------
    name : str
        The model input it feeds.
    family : str
        The family name (``"pert"``, ``"lognormal"``, ...; see :mod:`mcrisk.distributions.families`).
    params : Mapping[str, Any]
        The family's own parameters, after a 90% interval has been converted.
    unit, source, note : str
        Shown in reports and the assumptions table.
    label : str
        The input's plain name for people ("Rent of one GPU-hour"), overriding the model's
        :class:`~mcrisk.models.Var` label; ``""`` keeps the model's.
    base : float or None
        The value a tornado holds this input at; ``None`` means the median.
    dist : object
        The frozen scipy.stats distribution (or an equivalent for ``constant``/``discrete``).
    scale : float
        Unit conversion factor applied to every draw (and to ``base`` and the median): the
        distribution is written in ``params``'s unit, the draws are in ``unit``. 1 unless a
        study converted it (:func:`mcrisk.spec.conform.conform_priors`).
    probe : tuple of float or None
        The inverse CDF at :data:`mcrisk.spec.priors.PROBE`, before ``scale``, as computed when
        the prior was checked; ``None`` when not computed.
    spread : float
        Its spread scaled about its median (the entry's ``spread`` key; 1 leaves it as it is):
        the draw at probability ``u`` is ``m + spread * (Q(u) - m)``, ``Q`` the family's
        inverse CDF and ``m = Q(0.5)`` its median, before ``scale``. The median and every
        rank stay; the distance of each quantile from the median is multiplied by ``spread``.
    """

    name: str
    family: str
    params: Mapping[str, Any]
    unit: str = ""
    source: str = ""
    note: str = ""
    base: float | None = None
    dist: Any = field(default=None, compare=False, repr=False)
    label: str = ""
    scale: float = 1.0
    probe: tuple[float, ...] | None = field(default=None, compare=False, repr=False)
    spread: float = 1.0

    @property
    def is_constant(self) -> bool:
        """True for a ``constant`` prior, which is never a sensitivity factor."""
        return self.family == "constant"

    @property
    def base_value(self) -> float:
        """The value held in a tornado: ``base`` if given, else the median."""
        return self.scale * (float(self.base) if self.base is not None else float(self.dist.median()))

    def ppf(self, u: np.ndarray, *, few: bool = False) -> np.ndarray:
        """Inverse CDF at probabilities ``u`` (exact closed form where the family has one).

        Parameters
        ----------
        u : numpy.ndarray
            Probabilities in [0, 1].
        few : bool
            A handful of probabilities (a check's probes): skip the interpolation table a
            family may build for many draws (``beta``, ``pert``; it matches within
            :data:`~mcrisk.distributions.families.BETA_PPF_RTOL`), so a check does not pay for it.

        Returns
        -------
        numpy.ndarray
            The quantiles, in the prior's ``unit``.
        """
        fam = resolve_family(self.family)
        if fam is not None and few and fam.few_ppf is not None:
            x = fam.few_ppf(self.params, np.asarray(u, dtype=float))
        elif fam is not None and fam.ppf is not None:
            x = fam.ppf(self.params, np.asarray(u, dtype=float))
        else:
            x = np.asarray(self.dist.ppf(u), dtype=float)
        return self.transform(x)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """The family's quantiles ``x`` (its inverse CDF, before spread and scale) as this prior's draws.

        The spread about the median, then the unit scale: what :meth:`ppf` does after the family's
        inverse CDF, so that draws of the family kept once give this prior's, bit for bit.
        """
        if self.spread != 1.0:  # about the median: m + k (Q(u) - m), the median itself unchanged
            m = float(self.dist.median())
            x = m + self.spread * (x - m)
        return x if self.scale == 1.0 else x * self.scale

    def describe(self) -> str:
        """The distribution as one short string, e.g. ``triangular(low=1.5, mode=2, high=3.5)``."""
        if self.is_constant:
            return f"{self.params['value']:g}"
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items() if v is not None)
        spread = f" spread {self.spread:.12g}" if self.spread != 1.0 else ""
        return f"{self.family}({args}){spread}" + (f" x {self.scale:.12g}" if self.scale != 1.0 else "")


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return f"{v:g}" if isinstance(v, float | int) else str(v)


@dataclass(frozen=True)
class Priors(Mapping[str, Prior]):
    """An immutable, ordered collection of priors: a mapping from input name to :class:`Prior`.

    Attributes
    ----------
    entries : Mapping[str, Prior]
    currency : str or None
        The currency every money value is in (``"USD"``, ``"CNY"``).
    correlations : tuple of Correlation
        Rank correlations between uncertain inputs, imposed when sampling.
    texts : tuple of (str, str)
        ``(path, file text)`` of every file the priors came from, kept for provenance.
    conformed_to : tuple or None
        ``(model, entries, currency)`` when :func:`mcrisk.spec.conform.conform_priors` made
        these priors for ``model``: each entry that is still, by identity, one of ``entries``
        is in the model's unit and domain, so :func:`mcrisk.spec.callcheck.conform_call` does
        not convert or check it again. ``None``: not conformed.
    """

    entries: Mapping[str, Prior]
    currency: str | None = None
    correlations: tuple[Correlation, ...] = ()
    texts: tuple[tuple[str, str], ...] = ()
    conformed_to: tuple[Any, Mapping[str, Prior], str | None] | None = field(default=None, compare=False,
                                                                             repr=False)

    def __getitem__(self, name: str) -> Prior:
        return self.entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def uncertain(self) -> tuple[str, ...]:
        """Names of the inputs that are not constants, in order."""
        return tuple(k for k, p in self.entries.items() if not p.is_constant)

    def merged(self, other: Priors) -> Priors:
        """These priors with ``other``'s entries, currency and correlations taking precedence."""
        pairs = {frozenset((c.a, c.b)): c for c in self.correlations + other.correlations}
        return Priors(
            MappingProxyType({**self.entries, **other.entries}),
            currency=other.currency or self.currency,
            correlations=tuple(pairs.values()),
            texts=self.texts + other.texts,
            conformed_to=other.conformed_to or self.conformed_to,  # checked entry by entry
        )

    def subset(self, names: tuple[str, ...] | list[str]) -> Priors:
        """Only the named entries, and the correlations among them."""
        keep = set(names)
        return Priors(
            MappingProxyType({k: v for k, v in self.entries.items() if k in keep}),
            currency=self.currency,
            correlations=tuple(c for c in self.correlations if {c.a, c.b} <= keep),
            texts=self.texts,
            conformed_to=self.conformed_to,
        )
