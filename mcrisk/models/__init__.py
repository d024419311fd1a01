"""Built-in models and the lookup of a study's ``model = ...`` reference.

A model is any callable that takes its inputs as keyword arguments (numpy arrays of one
length, or scalars that broadcast) and returns a dict of named output arrays. Its parameters
with defaults are the constants a study may leave unset. It may describe itself with the
attributes ``inputs`` and ``outputs`` (dicts of name to :class:`Var`) and ``default_output``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError, shorten
from ..validate import show_text

__all__ = ["MODELS", "Var", "extends", "output_unit", "model_inputs", "model_name", "resolve_model"]


@dataclass(frozen=True)
class Var:
    """A model variable's unit (``{currency}`` stands for the study's currency) and meaning."""

    unit: str
    long_name: str

    def unit_in(self, currency: str | None) -> str:
        """The unit with ``{currency}`` replaced by ``currency`` (``"currency"`` when unknown)."""
        return self.unit.replace("{currency}", currency or "currency")


def output_unit(model: Callable, output: str, currency: str | None) -> str:
    """The unit of a model output from its ``outputs`` description, or ``""``."""
    meta = getattr(model, "outputs", {}).get(output)
    return meta.unit_in(currency) if meta else ""


from .maas import maas  # noqa: E402  (the models import Var from here)
from .testfunctions import gfunction, ishigami  # noqa: E402

#: Built-in models by the name a study gives.
MODELS: dict[str, Callable[..., dict]] = {"maas": maas, "ishigami": ishigami, "gfunction": gfunction}


def extends(base: Callable, *required: str) -> Callable[[Callable], Callable]:
    """Give a wrapper model ``fn(*, extra..., **inputs)`` the signature of ``base`` plus ``required``.

    The wrapper then states its inputs exactly (a study that leaves one out, or names one it
    does not take, gets the usual error) without repeating ``base``'s parameter list.

    Examples
    --------
    >>> @extends(maas, "fleet_nodes")
    ... def fleet(*, fleet_nodes, **inputs):
    ...     out = maas(**inputs)
    ...     return {**out, "spare_nodes": fleet_nodes - out["nodes_provisioned"]}
    """
    def wrap(fn: Callable) -> Callable:
        params = list(inspect.signature(base).parameters.values())
        extra = [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY) for k in required]
        fn.__signature__ = inspect.Signature([*extra, *params])
        return fn

    return wrap


def model_name(model: Callable) -> str:
    """The name a model is recorded under: its built-in name, else ``module:function``."""
    for name, fn in MODELS.items():
        if fn is model:
            return name
    module = getattr(model, "__module__", "?")
    if module.startswith("mcrisk_user_"):  # loaded from "file.py:function": name the file
        module = Path(getattr(sys.modules.get(module), "__file__", module)).name
    return f"{module}:{getattr(model, '__qualname__', repr(model))}"


def model_inputs(model: Callable) -> tuple[list[str], dict[str, object], bool]:
    """``(required, optional with defaults, accepts any keyword)`` from the model's signature.

    Raises
    ------
    SpecError
        For a callable without a signature Python can inspect (a C builtin such as ``max``).
    """
    required, optional, anykw = [], {}, False
    try:
        params = inspect.signature(model).parameters.values()
    except (TypeError, ValueError):
        raise SpecError(f"model {model_name(model)} has no signature mcrisk can read; a model is a Python "
                        "function taking its inputs as keyword arguments") from None
    for p in params:
        if p.kind is p.VAR_KEYWORD:
            anykw = True
        elif p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
            continue
        elif p.default is p.empty:
            required.append(p.name)
        else:
            optional[p.name] = p.default
    return required, optional, anykw


def resolve_model(ref: str, *, base: Path | None = None, where: str = "model") -> Callable:
    """The callable that ``ref`` names.

    Parameters
    ----------
    ref
        A built-in name (``"maas"``), ``"package.module:function"``, or
        ``"path/to/file.py:function"`` (relative to ``base``).
    base
        The folder of the study file.
    where
        Prefix for error messages, e.g. ``"studies/x.toml: model"``.
    """
    if not isinstance(ref, str):
        raise SpecError(f"{where} = {shorten(ref)} must be a string such as \"maas\"")
    if ref in MODELS:
        return MODELS[ref]
    allowed = (f"allowed: a built-in model ({', '.join(MODELS)}), \"package.module:function\" "
               "or \"file.py:function\"")
    target, sep, attr = ref.rpartition(":")
    if not sep or not target or not attr:
        raise SpecError(f"{where} = {shorten(ref)} is not a model; {allowed}")
    if target.endswith(".py"):
        path = (base or Path.cwd()) / target
        try:
            found = path.is_file()
        except (OSError, ValueError):  # a name too long for the file system
            found = False
        if not found:
            raise SpecError(f"{where} = {shorten(ref)}: no such file {show_text(path)}")
        spec = importlib.util.spec_from_file_location(f"mcrisk_user_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # the user's file: report, don't crash
            raise SpecError(f"{where} = {shorten(ref)}: importing {show_text(path)} failed: {exc.__class__.__name__}: "
                            f"{' '.join(str(exc).split())}") from None
    else:
        try:
            module = importlib.import_module(target)
        except Exception as exc:  # ImportError, or "..x" / "a..b" (TypeError, ValueError): not importable
            raise SpecError(f"{where} = {shorten(ref)}: cannot import {shorten(target)} "
                            f"({' '.join(str(exc).split())})") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise SpecError(f"{where} = {shorten(ref)}: {show_text(target)} has no function {shorten(attr)}")
    try:
        inspect.signature(fn)
    except (TypeError, ValueError):
        raise SpecError(f"{where} = {shorten(ref)} has no signature mcrisk can read; a model is a Python "
                        "function taking its inputs as keyword arguments") from None
    return fn
