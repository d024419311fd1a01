"""The model registry and ``extends``: a wrapper model states its inputs exactly."""

from __future__ import annotations

import pytest

from mcrisk import SpecError
from mcrisk.models import extends, maas, model_inputs
from mcrisk.simulation.engine import check_inputs


@extends(maas, "fleet_nodes")
def _fleet(*, fleet_nodes, **inputs):
    out = maas(**inputs)
    return {**out, "spare_nodes": fleet_nodes - out["nodes_provisioned"]}


def test_extends_adds_required_inputs_in_front_of_the_base_signature():
    required, optional, anykw = model_inputs(_fleet)
    base_required, base_optional, _ = model_inputs(maas)
    assert required == ["fleet_nodes", *base_required]
    assert optional == base_optional and not anykw


def test_a_wrapper_without_its_extra_input_is_named_in_the_error():
    names = model_inputs(maas)[0]
    with pytest.raises(SpecError, match=r"^s.toml: model .*_fleet needs fleet_nodes, which no prior or input gives$"):
        check_inputs(_fleet, names, where="s.toml")
    with pytest.raises(SpecError, match=r"^s.toml: fleet_size is not an input of model .*_fleet; its inputs: "
                                        r"fleet_nodes, input_tokens, "):
        check_inputs(_fleet, [*names, "fleet_nodes", "fleet_size"], where="s.toml")


def test_the_wrapper_computes_from_maas():
    out = _fleet(fleet_nodes=400.0, input_tokens=0.0, output_tokens=86_400 * 1000.0 * 100,
                 prefill_tps_per_node=1.0, decode_tps_per_node=1000.0, gpu_hour_price=2.0,
                 peak_to_avg=2.0, price_input_miss=0.0, price_output=1.0)
    # 100 busy nodes on average, 200 at the peak: 200 spare of 400.
    assert float(out["spare_nodes"]) == pytest.approx(200.0)


# ---- @mcrisk.model: a custom model declares its units, labels and default output -------------

import ast  # noqa: E402
import inspect  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import xarray as xr  # noqa: E402

import mcrisk  # noqa: E402
from mcrisk.models import MODELS, Var, model  # noqa: E402


@mcrisk.model(inputs={"price": ("USD/1M tokens", "list price"), "tokens": "1M tokens/day"},
              outputs={"revenue": Var("USD/day", "revenue per day")}, default_output="revenue")
def _shop(*, price, tokens, fee=0.0):
    return {"revenue": price * tokens - fee}


def test_model_sets_the_attributes_mcrisk_reads_and_returns_the_function():
    assert _shop.__name__ == "_shop" and _shop(price=2.0, tokens=3.0) == {"revenue": 6.0}
    assert dict(_shop.inputs) == {"price": Var("USD/1M tokens", "list price"),
                                  "tokens": Var("1M tokens/day", "")}
    assert dict(_shop.outputs) == {"revenue": Var("USD/day", "revenue per day")}
    assert _shop.default_output == "revenue"
    with pytest.raises(TypeError):  # read-only: a declaration is made once
        _shop.outputs["profit"] = Var("USD/day", "")


def test_model_and_priors_from_dict_are_exported_from_the_package_root():
    assert mcrisk.model is model and "model" in mcrisk.__all__
    assert mcrisk.priors_from_dict is mcrisk.spec.priors.priors_from_dict and "priors_from_dict" in mcrisk.__all__


def test_the_built_in_models_are_declared_with_it():
    assert MODELS["maas"].default_output == "profit_per_day"
    assert MODELS["ishigami"].outputs["y"] == Var("1", "Ishigami function")
    assert MODELS["gfunction"].default_output == "y"


def _where(fn) -> str:
    return f"{fn.__code__.co_filename}:{fn.__code__.co_firstlineno}: @model for {fn.__qualname__}"


def _margin(*, price, cost):
    return {"margin": price - cost}


def _anykw(a=1.0, **x):
    return {"y": a}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"inputs": {"prise": "USD"}},
     "inputs names prise, which is not a parameter of _margin; its parameters: price, cost"),
    ({"inputs": {"price": 3}},
     "inputs['price'] = 3 must be a Var, a (unit, label) pair of strings, or a unit string such as "
     '"tokens/day"'),
    ({"outputs": {"margin": ("USD", "margin", "extra")}},
     "outputs['margin'] = ('USD', 'margin', 'extra') must be a Var, a (unit, label) pair of strings, "
     'or a unit string such as "tokens/day"'),
    ({"inputs": ["price"]}, "inputs = ['price'] must be a dict of input name to unit"),
    ({"outputs": {"gross margin": "1"}},
     "outputs has the name 'gross margin'; a name must be a Python identifier"),
    ({"outputs": {}}, "outputs = {} declares no output; leave it out to have mcrisk find the outputs at "
                      "the first evaluation"),
    ({"outputs": {"margin": "USD"}, "default_output": "profit"},
     "default_output = 'profit' is not one of its outputs; outputs: margin"),
    ({"default_output": 1}, "default_output = 1 must be the name of an output (a string)"),
], ids=["input_not_a_parameter", "input_value", "output_triple", "inputs_list", "output_name", "no_outputs",
        "default_not_an_output", "default_not_text"])
def test_a_bad_declaration_is_one_line_naming_the_file_line_and_key(kwargs, message):
    with pytest.raises(SpecError) as info:
        model(**kwargs)(_margin)
    assert str(info.value) == f"{_where(_margin)}: {message}"


def test_a_model_taking_any_keyword_may_declare_any_input():
    assert model(inputs={"x1": "m", "x2": "m"})(_anykw).inputs["x2"] == Var("m", "")


def test_model_on_something_not_a_function():
    with pytest.raises(SpecError, match=r"^@model: 3 is not a function; @model\(...\) goes on the line above a def$"):
        model(outputs={"y": "1"})(3)


def test_the_declared_units_and_labels_reach_results_nc_and_the_report(tmp_path: Path):
    # One small run of 64 samples written to disk, svg figures only: about 2.5 s in the suite
    # (6 s alone, which includes importing matplotlib).
    (tmp_path / "shop.py").write_text(inspect.cleandoc('''
        import mcrisk

        @mcrisk.model(inputs={"price": ("{currency}/1M tokens", "list price"), "tokens": "1M tokens/day"},
                      outputs={"revenue": ("{currency}/day", "revenue per day")}, default_output="revenue")
        def shop(*, price, tokens):
            return {"revenue": price * tokens}
        ''') + "\n")
    (tmp_path / "s.toml").write_text('model = "shop.py:shop"\ncurrency = "EUR"\nsamples = 64\n'
                                     '[inputs.price]\ndist = "uniform"\nlow = 1\nhigh = 2\n'
                                     '[inputs.tokens]\nvalue = 3\n')
    run = mcrisk.run_study(tmp_path / "s.toml", out=tmp_path / "out", formats=("svg",))
    assert run.study.output == "revenue"  # the study names no output: the declared default
    with xr.open_dataset(tmp_path / "out" / "results.nc") as ds:
        got = {k: (v.attrs["units_label"], v.attrs["long_name"]) for k, v in ds.data_vars.items()}
        parsed = {k: v.attrs["units"] for k, v in ds.data_vars.items()}  # as pint writes them (mcrisk.units)
    assert got == {"price": ("EUR/1M tokens", "list price"), "tokens": ("1M tokens/day", "tokens"),
                   "revenue": ("EUR/day", "revenue per day")}
    assert parsed == {"price": "EUR / Mtok", "tokens": "Mtok / day", "revenue": "EUR / day"}
    report = (tmp_path / "out" / "report.md").read_text()
    assert re.search(r"^\| Revenue \| EUR/day \| ", report, re.M)  # no label declared: the name in words


def test_a_bad_declaration_in_a_model_file_is_the_study_error(tmp_path: Path):
    (tmp_path / "m.py").write_text('import mcrisk\n\n@mcrisk.model(inputs={"prise": "USD"})\n'
                                   'def m(*, price):\n    return {"y": price}\n')
    (tmp_path / "s.toml").write_text('model = "m.py:m"\noutput = "y"\n[inputs]\nprice = 1\n')
    path = tmp_path / "m.py"
    with pytest.raises(SpecError) as info:
        mcrisk.load_study(tmp_path / "s.toml")
    assert str(info.value) == (f"{tmp_path / 's.toml'}: model = 'm.py:m': importing {path} failed: "
                               f"{path}:3: @model for m: inputs names prise, which is not a parameter of m; "
                               "its parameters: price")


def test_base_is_the_leaf_of_the_models_package():
    import mcrisk.models.base

    tree = ast.parse(inspect.getsource(mcrisk.models.base))
    own = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module.startswith("mcrisk")}
    assert own == {"mcrisk.core.errors", "mcrisk.core.validate"}  # nothing of mcrisk.models
