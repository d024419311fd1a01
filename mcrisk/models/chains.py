"""Model chains: ``model = ["gpu_hour_cost", "maas_hourly"]`` as one composed model.

Each model in turn is called with the inputs it takes; its outputs feed the later models'
inputs of the same name. The chain's inputs are the union of the inputs no earlier model
produces (the *free* inputs); its outputs are every model's outputs. So a study samples the
primitive inputs (the server price, the electricity price, ...) and sensitivity attributes the
outputs to them, not to the intermediate ``gpu_hour_price``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from mcrisk.core.errors import SpecError
from mcrisk.core.validate import check_keys, show_key
from mcrisk.models.base import model_inputs
from mcrisk.models.options import bind_options, model_options

__all__ = ["Chain", "chain"]


class Chain:
    """Models called in order, earlier outputs feeding later inputs of the same name.

    Use :func:`chain` to build one (it checks the models fit together).

    Attributes
    ----------
    models : tuple of callable
        The models, in calling order.
    names : tuple of str
        Their names (how the study named them).
    inputs, outputs : Mapping[str, Var]
        The free inputs' and all outputs' declarations, as :func:`mcrisk.model` sets them.
    default_output : str or None
        The last model's default output.
    """

    def __init__(self, models: Sequence[Callable], names: Sequence[str]):
        self.models = tuple(models)
        self.names = tuple(names)
        self._plan()

    def _plan(self) -> None:
        produced: dict[str, str] = {}
        required: list[str] = []
        optional: dict[str, object] = {}
        inputs, outputs, takes = {}, {}, []
        for fn, name in zip(self.models, self.names, strict=True):
            req, opt, anykw = model_inputs(fn)
            if anykw:
                raise SpecError(f"model chain: {name} takes **kwargs; a chained model must name its inputs")
            takes.append((*req, *opt))
            meta = getattr(fn, "inputs", {})
            for k in (*req, *opt):
                if k in produced:
                    continue
                if k in req and k not in required:
                    required.append(k)
                    optional.pop(k, None)
                elif k not in required and k not in optional:
                    optional[k] = opt[k]
                if k in meta and k not in inputs:
                    inputs[k] = meta[k]
            declared = getattr(fn, "outputs", None)
            if not declared:
                raise SpecError(f"model chain: {name} does not declare its outputs; a chained model needs "
                                "@mcrisk.model(outputs=...) so the chain knows what it feeds on")
            for k, var in declared.items():
                if k in produced:
                    raise SpecError(f"model chain: output {show_key(k)} is produced twice, by {produced[k]} "
                                    f"and by {name}; each output must come from one model")
                produced[k] = name
                outputs[k] = var
        for i, name in enumerate(self.names):
            for k in takes[i]:
                later = next((self.names[j] for j in range(i + 1, len(self.names))
                              if k in getattr(self.models[j], "outputs", {})), None)
                if later and produced[k] != name:
                    raise SpecError(f"model chain: {name} takes {show_key(k)}, which {later} produces after "
                                    f"it; put {later} before {name}")
        self._takes = tuple(takes)
        self.inputs = MappingProxyType({k: v for k, v in inputs.items() if k not in produced})
        self.outputs = MappingProxyType(outputs)
        self.default_output = getattr(self.models[-1], "default_output", None)
        opts: dict[str, Any] = {}
        for fn in self.models:
            for k in model_options(fn):
                opts.setdefault(k, getattr(fn, "options")[k])
        self.options = MappingProxyType(opts)
        kw = inspect.Parameter.KEYWORD_ONLY
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(k, kw) for k in required]
            + [inspect.Parameter(k, kw, default=d) for k, d in optional.items() if k not in required])
        self.__doc__ = (f"The chain {' -> '.join(self.names)}: each model's outputs feed the later models' "
                        "inputs of the same name.")

    @property
    def name(self) -> str:
        """``"a -> b"``: the chain as results.nc's ``model`` attr records it."""
        return " -> ".join(self.names)

    def __call__(self, **inputs) -> dict:
        values = dict(inputs)
        out: dict = {}
        for fn, name, takes in zip(self.models, self.names, self._takes, strict=True):
            result = fn(**{k: values[k] for k in takes if k in values})
            if not isinstance(result, dict):
                raise SpecError(f"model {name} (in the chain {self.name}) returned {type(result).__name__}; "
                                "a model must return a dict of output arrays")
            values.update(result)
            out.update(result)
        return out

    def __getstate__(self):
        return {"models": self.models, "names": self.names}

    def __setstate__(self, state):
        self.models, self.names = state["models"], state["names"]
        self._plan()

    def bind_options(self, table: Mapping[str, Any], *, where: str = "options") -> Chain:
        """The chain with each option of ``table`` bound to every model that takes it.

        Parameters
        ----------
        table
            Option name -> value (a study's ``[options]``).
        where
            Prefix for error messages.

        Returns
        -------
        Chain
            A new chain of the bound models.

        Raises
        ------
        SpecError
            For an option no model of the chain takes (listing the options they take), or a
            value a model refuses.
        """
        check_keys(table, self.options, where)
        bound = [bind_options(fn, {k: v for k, v in table.items() if k in model_options(fn)}, where=where)
                 for fn in self.models]
        return Chain(bound, self.names)

    def __repr__(self) -> str:
        return f"Chain({self.name})"


def chain(models: Sequence[Callable], names: Sequence[str] | None = None) -> Chain:
    """Compose models into one: earlier outputs feed later inputs of the same name.

    Parameters
    ----------
    models
        Model callables, in calling order; each must declare its outputs (``@mcrisk.model``).
    names
        Their names for messages and provenance (default: their ``__name__``).

    Returns
    -------
    Chain
        A model whose inputs are the free inputs (taken by some model, produced by no earlier
        one) and whose outputs are all the models' outputs.

    Raises
    ------
    SpecError
        For an empty chain, a model without declared outputs, an output two models produce,
        or an input a model takes that a later model produces.

    Examples
    --------
    >>> from mcrisk.models import gpu_hour_cost, maas
    >>> c = chain([gpu_hour_cost, maas])
    >>> "gpu_hour_price" in inspect.signature(c).parameters, "electricity_price" in c.inputs
    (False, True)
    """
    models = list(models)
    if not models:
        raise SpecError("model chain = [] names no model; give at least one")
    names = list(names) if names is not None else [getattr(m, "__name__", repr(m)) for m in models]
    return Chain(models, names)
