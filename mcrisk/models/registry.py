"""The built-in models by name, and the lookup of a study's ``model = ...`` reference."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import show_text
from mcrisk.core.tomlfile import is_file
from mcrisk.models.chains import Chain, chain
from mcrisk.models.gpu_cost import gpu_hour_cost
from mcrisk.models.margin import maas
from mcrisk.models.hourly_margin import maas_hourly
from mcrisk.models.monthly_margin import maas_monthly
from mcrisk.models.options import BoundModel
from mcrisk.models.testfunctions import gfunction, ishigami

__all__ = ["MODELS", "USER_MODULE_PREFIX", "model_name", "resolve_model"]

#: The module name of a model file ``f.py`` is this plus ``f``: no other process can import it,
#: so a dask run ships its models by value (:mod:`mcrisk.simulation.distributed`).
USER_MODULE_PREFIX = "mcrisk_user_"

#: Built-in models by the name a study gives.
MODELS: dict[str, Callable[..., dict]] = {"maas": maas, "ishigami": ishigami, "gfunction": gfunction,
                                          "maas_hourly": maas_hourly, "maas_monthly": maas_monthly,
                                          "gpu_hour_cost": gpu_hour_cost}


def model_name(model: Callable) -> str:
    """The name a model is recorded under (``results.nc``'s ``model`` attr, error messages).

    Parameters
    ----------
    model
        A model callable.

    Returns
    -------
    str
        Its built-in name (``"maas"``), else ``module:function``; for a model loaded from
        ``file.py:function``, ``file.py:function``.
    """
    if isinstance(model, Chain):
        return model.name
    if isinstance(model, BoundModel):  # options bound by a study: named as the model (the study records them)
        model = model.model
    for name, fn in MODELS.items():
        if fn is model:
            return name
    module = getattr(model, "__module__", "?")
    if module.startswith(USER_MODULE_PREFIX):  # loaded from "file.py:function": name the file
        module = Path(getattr(sys.modules.get(module), "__file__", module)).name
    return f"{module}:{getattr(model, '__qualname__', repr(model))}"


def resolve_model(ref: str | list[str], *, base: Path | None = None, where: str = "model") -> Callable:
    """The callable that ``ref`` names.

    Parameters
    ----------
    ref
        A built-in name (``"maas"``), ``"package.module:function"``, or
        ``"path/to/file.py:function"`` (relative to ``base``); or a list of these, a chain
        (:func:`mcrisk.models.chains.chain`) whose earlier outputs feed later inputs.
    base
        The folder of the study file (default: the current folder).
    where
        Prefix for error messages, e.g. ``"studies/x.toml: model"``.

    Returns
    -------
    callable
        The model function.

    Raises
    ------
    SpecError
        If ``ref`` names no importable callable with a signature.
    """
    if isinstance(ref, list) and ref:
        models = [resolve_model(r, base=base, where=where) for r in ref]
        try:
            return chain(models, [r if isinstance(r, str) else shorten(r) for r in ref])
        except SpecError as err:
            raise SpecError(f"{where} = {shorten(ref)}: {str(err).removeprefix('model chain: ')}") from None
    if not isinstance(ref, str):
        raise SpecError(f"{where} = {shorten(ref)} must be a string such as \"maas\", or a list of "
                        "models to chain such as [\"gpu_hour_cost\", \"maas_hourly\"]")
    if ref in MODELS:
        return MODELS[ref]
    allowed = (f"allowed: a built-in model ({', '.join(MODELS)}), \"package.module:function\" "
               "or \"file.py:function\"")
    target, sep, attr = ref.rpartition(":")
    if not sep or not target or not attr:
        raise SpecError(f"{where} = {shorten(ref)} is not a model; {allowed}")
    if target.endswith(".py"):
        path = (base or Path.cwd()) / target
        if not is_file(path):
            raise SpecError(f"{where} = {shorten(ref)}: no such file {show_text(path)}")
        spec = importlib.util.spec_from_file_location(f"{USER_MODULE_PREFIX}{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # the user's file: report, don't crash
            kind = "" if isinstance(exc, SpecError) else f"{exc.__class__.__name__}: "  # e.g. a bad @model
            raise SpecError(f"{where} = {shorten(ref)}: importing {show_text(path)} failed: {kind}"
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
