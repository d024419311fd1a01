"""What a model is to mcrisk: :class:`Var`, the :func:`model` declaration, and signature reading.

A model is any callable that takes its inputs as keyword arguments (numpy arrays of one
length, or scalars that broadcast) and returns a dict of named output arrays. Its parameters
with defaults are the constants a study may leave unset. It may describe itself with the
attributes ``inputs`` and ``outputs`` (mappings of name to :class:`Var`) and
``default_output``, which :func:`model` sets and checks.

This module is the leaf of :mod:`mcrisk.models`: the built-in models import it, and it imports
none of them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import show_key, show_keys

__all__ = ["Option", "Var", "extends", "model", "model_inputs", "output_unit"]

_F = TypeVar("_F", bound=Callable[..., dict])


@dataclass(frozen=True)
class Var:
    """A model variable's unit (``{currency}`` stands for the study's currency) and meaning.

    Attributes
    ----------
    unit
        The unit, e.g. ``"tokens/day"`` or ``"{currency}/GPU-hour"``; ``"1"`` for a ratio.
    long_name
        What the variable means, in a few words (the ``long_name`` of its results variable).
    dims
        Dimensions of an output besides ``sample``, e.g. ``("hour",)`` for an hourly output of
        shape (samples, 24); ``()`` (the default) for one value per sample.
    label
        Its plain name for a board ("Decode throughput per node", "Profit per day"), used in
        every figure, table, report, deck and workbook; ``""`` shows the name in words.
    domain
        For an input, the closed interval ``(low, high)`` its values must lie in, in its unit
        (``(0, 1)`` for a share, ``(0, math.inf)`` for a price, ``(1, math.inf)`` for a
        peak-to-average ratio); ``None``: any real number. A prior reaching outside it is an
        error when the study is loaded.
    bad
        For an output, which way is bad: ``"low"`` (profit, revenue) or ``"high"`` (cost);
        expected shortfall and the tail the report calls the risk follow it. ``None``: low.
    """

    unit: str
    long_name: str
    dims: tuple[str, ...] = ()
    label: str = ""
    domain: tuple[float, float] | None = None
    bad: Literal["low", "high"] | None = None

    def __post_init__(self) -> None:
        if self.domain is not None and not (len(self.domain) == 2 and self.domain[0] <= self.domain[1]):
            raise SpecError(f"Var({self.unit!r}, ...): domain = {self.domain!r} must be (low, high) "
                            "with low <= high")
        if self.bad not in (None, "low", "high"):
            raise SpecError(f"Var({self.unit!r}, ...): bad = {self.bad!r} must be 'low' or 'high'")

    def unit_in(self, currency: str | None) -> str:
        """The unit with ``{currency}`` replaced by ``currency``.

        Parameters
        ----------
        currency
            The study's currency code, e.g. ``"USD"``; ``None`` when unknown.

        Returns
        -------
        str
            The unit, with ``"currency"`` standing in when ``currency`` is ``None``.
        """
        return self.unit.replace("{currency}", currency or "currency")


@dataclass(frozen=True)
class Option:
    """A model option: a fixed setting a study gives in ``[options]``, neither sampled nor a prior.

    Attributes
    ----------
    meaning
        What the option does and the values it takes, in a few words (``mcrisk describe``).
    """

    meaning: str


def output_unit(model: Callable, output: str, currency: str | None) -> str:
    """The unit of a model output from its ``outputs`` description.

    Parameters
    ----------
    model
        A model callable.
    output
        The output's name.
    currency
        The study's currency code, or ``None``.

    Returns
    -------
    str
        The unit with ``{currency}`` filled in, or ``""`` if the model does not describe the output.
    """
    meta = getattr(model, "outputs", {}).get(output)
    return meta.unit_in(currency) if meta else ""


def extends(base: Callable, *required: str) -> Callable[[Callable], Callable]:
    """Give a wrapper model ``fn(*, extra..., **inputs)`` the signature of ``base`` plus ``required``.

    The wrapper then states its inputs exactly (a study that leaves one out, or names one it
    does not take, gets the usual error) without repeating ``base``'s parameter list.

    Parameters
    ----------
    base
        The model the wrapper calls (e.g. :func:`mcrisk.models.margin`).
    *required
        Names of the wrapper's own required inputs, placed before ``base``'s.

    Returns
    -------
    callable
        A decorator that sets the wrapper's ``__signature__`` and returns the wrapper itself.

    Examples
    --------
    >>> from mcrisk.models import maas
    >>> @extends(maas, "fleet_nodes")
    ... def fleet(*, fleet_nodes, **inputs):
    ...     out = maas(**inputs)
    ...     return {**out, "spare_nodes": fleet_nodes - out["nodes_provisioned"]}
    >>> list(inspect.signature(fleet).parameters)[:2]
    ['fleet_nodes', 'input_tokens']
    """
    def wrap(fn: Callable) -> Callable:
        options = getattr(base, "options", None) or {}  # the base's [options] are not the wrapper's inputs
        params = [p for p in inspect.signature(base).parameters.values() if p.name not in options]
        extra = [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY) for k in required]
        fn.__signature__ = inspect.Signature([*extra, *params])
        return fn

    return wrap


def model_inputs(model: Callable) -> tuple[list[str], dict[str, object], bool]:
    """The inputs a model takes, from its signature.

    Parameters
    ----------
    model
        A model callable.

    Returns
    -------
    required : list of str
        Keyword parameters without a default, in signature order.
    optional : dict of str to object
        Keyword parameters with a default, and the default.
    anykw : bool
        Whether the model takes ``**kwargs`` (any other keyword).

    Raises
    ------
    SpecError
        For a callable without a signature Python can inspect (a C builtin such as ``max``).
    """
    required, optional, anykw = [], {}, False
    try:
        params = inspect.signature(model).parameters.values()
    except (TypeError, ValueError):
        name = f"{getattr(model, '__module__', '?')}:{getattr(model, '__qualname__', repr(model))}"
        raise SpecError(f"model {name} has no signature mcrisk can read; a model is a Python "
                        "function taking its inputs as keyword arguments") from None
    options = getattr(model, "options", {})
    for p in params:
        if p.name in options:  # a fixed setting from the study's [options], not an input
            continue
        if p.kind is p.VAR_KEYWORD:
            anykw = True
        elif p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
            continue
        elif p.default is p.empty:
            required.append(p.name)
        else:
            optional[p.name] = p.default
    return required, optional, anykw


def _where(fn: Callable) -> str:
    """``file:line: @model for name``, the start of a declaration error."""
    name = getattr(fn, "__qualname__", repr(fn))
    code = getattr(inspect.unwrap(fn), "__code__", None)
    place = f"{code.co_filename}:{code.co_firstlineno}" if code else getattr(fn, "__module__", "?")
    return f"{place}: @model for {name}"


def _as_var(value: Any) -> Var | None:
    if isinstance(value, Var):
        return value
    if isinstance(value, str):
        return Var(value, "")
    if (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        return Var(*value)
    return None


_VAR_FORMS = 'must be a Var, a (unit, label) pair of strings, or a unit string such as "tokens/day"'


def _vars(table: Any, key: str, where: str) -> Mapping[str, Var]:
    if not isinstance(table, Mapping):
        raise SpecError(f"{where}: {key} = {shorten(table)} must be a dict of {key[:-1]} name to unit")
    out = {}
    for name, value in table.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise SpecError(f"{where}: {key} has the name {shorten(name)}; a name must be a Python identifier")
        var = _as_var(value)
        if var is None:
            raise SpecError(f"{where}: {key}[{name!r}] = {shorten(value)} {_VAR_FORMS}")
        out[name] = var
    return MappingProxyType(out)


def model(*, inputs: Mapping[str, Var | tuple[str, str] | str] | None = None,
          outputs: Mapping[str, Var | tuple[str, str] | str] | None = None,
          default_output: str | None = None,
          options: Mapping[str, Option | str] | None = None) -> Callable[[_F], _F]:
    """Declare a model's units, labels and default output.

    The units and labels reach the ``units`` and ``long_name`` attrs of ``results.nc``, the
    report's tables and ``mcrisk describe``; ``default_output`` is the output a study analyses
    when it names none. The function itself is returned unchanged, with the attributes
    ``inputs``, ``outputs`` and ``default_output`` set (read-only mappings of name to
    :class:`Var`).

    Parameters
    ----------
    inputs
        Input name to ``Var(unit, label)``, a ``(unit, label)`` pair, or a unit string. Every
        name must be a parameter of the function (any name, if it takes ``**kwargs``). Inputs
        left out have no unit unless the priors file gives one.
    outputs
        Output name to unit and label, in the same forms. Leave it out to have mcrisk find the
        outputs by evaluating the model once. An output listed here that the function does not
        return is reported at the first evaluation.
    default_output
        The output a study analyses when its ``output = ...`` is not set; one of ``outputs``
        when those are given.
    options
        Option name to its meaning (an :class:`Option` or a string): keyword parameters of the
        function, with defaults, that a study sets in its ``[options]`` table rather than
        sampling (lists there arrive as numpy arrays). They are not inputs: no prior may give them.

    Returns
    -------
    callable
        A decorator returning the same function with the attributes set.

    Raises
    ------
    SpecError
        At decoration, one line starting with the function's file and line: for an input that
        is not a parameter, a value in none of the forms above, or a ``default_output`` that is
        not among ``outputs``.

    Examples
    --------
    >>> import mcrisk
    >>> @mcrisk.model(inputs={"price": ("USD/1M tokens", "list price"), "tokens": "1M tokens/day"},
    ...               outputs={"revenue": ("USD/day", "revenue per day")}, default_output="revenue")
    ... def shop(*, price, tokens):
    ...     return {"revenue": price * tokens}
    >>> shop.outputs["revenue"]
    Var(unit='USD/day', long_name='revenue per day', dims=(), label='', domain=None, bad=None)
    """
    def declare(fn: _F) -> _F:
        if not callable(fn):
            raise SpecError(f"@model: {shorten(fn)} is not a function; @model(...) goes on the line "
                            "above a def")
        where = _where(fn)
        declared: dict[str, Any] = {}
        if inputs is not None:
            declared["inputs"] = _vars(inputs, "inputs", where)
            required, optional, anykw = model_inputs(fn)
            params = [*required, *optional]
            if not anykw and (bad := next((k for k in declared["inputs"] if k not in params), None)):
                raise SpecError(f"{where}: inputs names {show_key(bad)}, which is not a parameter of "
                                f"{getattr(fn, '__name__', 'the function')}; its parameters: {show_keys(params)}")
        if outputs is not None:
            declared["outputs"] = _vars(outputs, "outputs", where)
            if not declared["outputs"]:
                raise SpecError(f"{where}: outputs = {{}} declares no output; leave it out to have "
                                "mcrisk find the outputs at the first evaluation")
        if default_output is not None:
            if not isinstance(default_output, str):
                raise SpecError(f"{where}: default_output = {shorten(default_output)} must be the name "
                                "of an output (a string)")
            if "outputs" in declared and default_output not in declared["outputs"]:
                raise SpecError(f"{where}: default_output = {default_output!r} is not one of its outputs; "
                                f"outputs: {show_keys(declared['outputs'])}")
            declared["default_output"] = default_output
        if options is not None:
            declared["options"] = _options(fn, options, where)
        for key, value in declared.items():
            setattr(fn, key, value)
        return fn

    return declare


def _options(fn: Callable, table: Any, where: str) -> Mapping[str, Option]:
    if not isinstance(table, Mapping):
        raise SpecError(f"{where}: options = {shorten(table)} must be a dict of option name to meaning")
    params = inspect.signature(fn).parameters
    out = {}
    for name, value in table.items():
        p = params.get(name)
        if p is None or p.kind is not p.KEYWORD_ONLY or p.default is p.empty:
            raise SpecError(f"{where}: options names {show_key(name)}, which is not a keyword-only "
                            "parameter with a default; an option is declared as `*, name=default`")
        if isinstance(value, str):
            value = Option(value)
        if not isinstance(value, Option):
            raise SpecError(f"{where}: options[{name!r}] = {shorten(value)} must be an Option or a string "
                            "saying what the option does")
        out[name] = value
    return MappingProxyType(out)
