"""Built-in models, the :func:`model` declaration, and the lookup of a study's ``model = ...``.

A model is any callable that takes its inputs as keyword arguments (numpy arrays of one
length, or scalars that broadcast) and returns a dict of named output arrays. Its parameters
with defaults are the constants a study may leave unset. It may describe itself with
:func:`model` (the attributes ``inputs`` and ``outputs``, mappings of name to :class:`Var`,
and ``default_output``).

The package only re-exports: :mod:`.base` (what a model is), :mod:`.margin`, :mod:`.hourly_margin`,
:mod:`.monthly_margin` (with :mod:`.cashflow`), throughput curves (:mod:`.curves`), :mod:`.gpu_cost` and :mod:`.testfunctions` (the
built-in models), :mod:`.options` (a study's ``[options]`` bound to a model), :mod:`.chains` (models composed in order) and :mod:`.registry`
(built-in names and lookup).

May import: core, distributions.
"""

from __future__ import annotations

from mcrisk.models.base import Option, Var, extends, model, model_inputs, output_unit
from mcrisk.models.chains import Chain, chain
from mcrisk.models.gpu_cost import gpu_hour_cost
from mcrisk.models.margin import maas
from mcrisk.models.hourly_margin import maas_hourly
from mcrisk.models.monthly_margin import maas_monthly
from mcrisk.models.options import BoundModel, bind_options, model_options, option_rows
from mcrisk.models.registry import MODELS, model_name, resolve_model
from mcrisk.models.testfunctions import gfunction, ishigami

__all__ = ["MODELS", "BoundModel", "Chain", "Option", "Var", "bind_options", "chain", "extends", "gfunction",
           "gpu_hour_cost", "ishigami", "maas", "maas_hourly", "maas_monthly", "model", "model_inputs", "model_name",
           "model_options", "option_rows", "output_unit", "resolve_model"]
