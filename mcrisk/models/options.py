"""A study's ``[options]``: fixed keyword arguments bound to a model once, when the study loads.

An option is a setting that is neither sampled nor a prior (an hourly shape, a fleet policy, a
list of node counts). A model declares its options with ``@mcrisk.model(options={...})`` as
keyword-only parameters with defaults; a plain function (not declared with ``@mcrisk.model``)
takes as options its keyword parameters the study does not give as inputs. :func:`bind_options`
checks a study's table against them and returns a :class:`BoundModel`, a picklable callable that passes the options on every
call, so chunked, multi-process and dask runs evaluate exactly what an in-process run does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import check_keys, show_key, show_keys

__all__ = ["BoundModel", "bind_options", "model_options", "option_rows", "option_value"]

#: What ``mcrisk describe`` says an option of a plain function is.
_PLAIN_OPTION = "a keyword parameter of the function"
#: The attributes ``@mcrisk.model`` may set: a function with none of them is a plain function.
_DECLARED = ("inputs", "outputs", "default_output", "options")


def model_options(model: Callable) -> dict[str, tuple[Any, str]]:
    """A model's options: name -> (default, meaning).

    Parameters
    ----------
    model
        A model callable; one declared with ``@mcrisk.model(options=...)`` has options.

    Returns
    -------
    dict of str to (object, str)
        The default from the signature and the declared meaning, in signature order; empty
        for a model without options.
    """
    declared = getattr(model, "options", {}) or {}
    try:
        params = inspect.signature(model).parameters
    except (TypeError, ValueError):
        return {}
    return {k: (params[k].default, declared[k].meaning) for k in params if k in declared}


def option_value(value: Any) -> Any:
    """A TOML option value as the model receives it: a list becomes a numpy array.

    Parameters
    ----------
    value
        A value read from ``[options]``.

    Returns
    -------
    object
        ``numpy.asarray(value)`` for a list of numbers, the value itself otherwise (a string,
        a number, a list of strings stays a tuple).
    """
    if isinstance(value, list):
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            return np.asarray(value, dtype=float)
        return tuple(value)
    return value


class BoundModel:
    """A model with some options fixed: ``BoundModel(model, options)(**inputs)``.

    Carries the model's ``inputs``, ``outputs``, ``default_output`` and ``options``
    declarations and its signature without the bound options; a model whose options change
    its inputs or outputs says how with an attribute ``bound_form(options)`` returning
    ``(signature, inputs, outputs)`` (or None: as declared), and the bound model carries those.
    Picklable when the model is (a module-level function), so chunks may run in other processes.

    Parameters
    ----------
    model
        The model callable.
    options
        Option name -> value (already converted by :func:`option_value`).
    """

    def __init__(self, model: Callable, options: Mapping[str, Any]):
        self.model = model
        self.bound = MappingProxyType(dict(options))
        self.__doc__ = model.__doc__  # what the model is, for mcrisk describe and help()
        # An option may change what the model takes and gives (a throughput curve takes
        # interactivity in place of decode_tps_per_node): the model's bound_form says how.
        form = getattr(model, "bound_form", None)
        self._form = form(self.bound) if form is not None else None

    def __call__(self, **inputs):
        return self.model(**inputs, **self.bound)

    def __getstate__(self):
        return {"model": self.model, "bound": dict(self.bound)}

    def __setstate__(self, state):
        self.__init__(state["model"], state["bound"])

    @property
    def __signature__(self) -> inspect.Signature:
        sig = self._form[0] if self._form is not None else inspect.signature(self.model)
        return sig.replace(parameters=[p for k, p in sig.parameters.items() if k not in self.bound])

    def __getattr__(self, name: str):
        form = self.__dict__.get("_form")
        if form is not None and name in ("inputs", "outputs"):
            return form[1 if name == "inputs" else 2]
        if name in ("inputs", "outputs", "default_output", "options", "__name__", "__qualname__"):
            return getattr(self.__dict__["model"], name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={shorten(v)}" for k, v in self.bound.items())
        return f"BoundModel({getattr(self.model, '__name__', self.model)!r}, {opts})"


def bind_options(model: Callable, table: Any, *, where: str = "options", given: Iterable[str] = ()) -> Callable:
    """``model`` with a study's ``[options]`` table bound, each option checked against it.

    Parameters
    ----------
    model
        A model callable declaring options (or a chain of models, which binds each option to
        the models that take it), or a plain function (not declared with ``@mcrisk.model``),
        whose options are its keyword parameters not in ``given``.
    table
        The ``[options]`` table: option name -> value (lists become numpy arrays).
    where
        Prefix for error messages, e.g. ``"studies/x.toml: [options]"``.
    given
        The inputs the study gives (its priors): a plain function's parameter among them is
        an input, not an option.

    Returns
    -------
    callable
        ``model`` itself for an empty table, else a :class:`BoundModel` (or the chain's own
        binding). A model may check its options when they are bound: its attribute
        ``check_options(**options)`` is called, and its SpecError is prefixed by ``where``.

    Raises
    ------
    SpecError
        For a table that is not a table, an option the model does not take (the message lists
        the options it takes), or a value the model's ``check_options`` refuses.
    """
    if not isinstance(table, Mapping):
        raise SpecError(f"{where} = {shorten(table)} must be a table of option = value")
    if not table:
        return model
    if hasattr(model, "bind_options"):  # a chain: each model takes its own options
        return model.bind_options(table, where=where)
    if _is_plain(model):
        _check_plain(model, table, set(given), where)
    else:
        check_keys(table, model_options(model), where)
    values = {k: option_value(v) for k, v in table.items()}
    if (check := getattr(model, "check_options", None)) is not None:
        try:
            check(**values)
        except SpecError as err:
            raise SpecError(f"{where}: {err}") from None
    return BoundModel(model, values)


def _is_plain(model: Callable) -> bool:
    """A function ``@mcrisk.model`` did not declare (nor a bound model or a chain)."""
    return not isinstance(model, BoundModel) and not any(hasattr(model, a) for a in _DECLARED)


def _check_plain(model: Callable, table: Mapping[str, Any], given: set[str], where: str) -> None:
    """Refuse an option a plain function does not take as a keyword, or takes as an input."""
    try:
        params = inspect.signature(model).parameters.values()
    except (TypeError, ValueError):
        params = ()
    keywords = [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    takes = [k for k in keywords if k not in given]
    name = getattr(model, "__name__", "the function")
    for key, value in table.items():
        if key in given and key in keywords:
            raise SpecError(f"{where} {show_key(key)} = {shorten(value)} is an input of {name} (it has a prior); "
                            f"give it in [inputs] or as an option, not both; options it takes: {show_keys(takes)}")
        if key not in takes:
            raise SpecError(f"{where} {show_key(key)} = {shorten(value)} is not a keyword parameter of {name}; "
                            f"options it takes (its keyword parameters that are not inputs): {show_keys(takes)}")


def option_rows(model: Callable) -> list[tuple[str, str, str]]:
    """What ``mcrisk describe`` shows of a model's options: (name, setting, meaning).

    Parameters
    ----------
    model
        A model, a :class:`BoundModel` (a study's options bound) or a chain of them.

    Returns
    -------
    list of (str, str, str)
        Per option: its name, ``"default <value>"`` or ``"set to <value>"`` (bound by a study),
        and its meaning; for a chain, the options of each model in order (once each).
    """
    parts = getattr(model, "models", None)
    if parts is not None and not isinstance(model, BoundModel):  # a chain
        rows, seen = [], set()
        for part in parts:
            for row in option_rows(part):
                if row[0] not in seen:
                    seen.add(row[0])
                    rows.append(row)
        return rows
    bound = model.bound if isinstance(model, BoundModel) else {}
    inner = model.model if isinstance(model, BoundModel) else model
    known = model_options(inner)
    if _is_plain(inner):  # a plain function's options are the keywords the study set
        known = {k: (None, _PLAIN_OPTION) for k in bound}
    return [(k, f"set to {shorten(_plain(bound[k]))}" if k in bound else f"default {default!r}", meaning)
            for k, (default, meaning) in known.items()]


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value
