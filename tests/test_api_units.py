"""The Python API conforms priors as a study run does: units converted (and said), bad ones refused.

Every public function that takes a model and priors is run twice on DeepSeek's priors with an
uncertain output price: once written in USD/1M tokens (the model's unit), once in USD/1K
tokens. The numbers must agree and the conversion must be said, in the study run's words.
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from mcrisk import SpecError, load_study, priors_from_dict, run_study
from mcrisk.analyze.precision import simulate_to_precision
from mcrisk.analyze.sensitivity import sensitivity
from mcrisk.analyze.solve import solve
from mcrisk.analyze.sweep import sweep
from mcrisk.analyze.tornado import tornado
from mcrisk.core.errors import MCRiskWarning
from mcrisk.models import maas, resolve_model
from mcrisk.simulation.engine import simulate, simulate_summary, simulate_thinned
from mcrisk.spec.callcheck import conform_call
from mcrisk.spec.precision_text import parse_precision
from mcrisk.spec.priorref import set_inputs
from mcrisk.spec.priors import Priors

PER_1M = {"dist": "uniform", "low": 1.5, "high": 3.0, "unit": "USD/1M tokens"}
PER_1K = {"dist": "uniform", "low": 0.0015, "high": 0.003, "unit": "USD/1K tokens"}
LINE = "price_output: USD/1K tokens -> USD/1M tokens: x 1,000"  # as conform_priors words it for a study
BAD_UNIT = ("[price_output] unit 'tokens/s' cannot be converted to the model's 'USD/1M tokens': they measure "
            "different things ([token] / [time] vs [currency_USD] / [token])")

#: Each public entry point: name -> call on (model, priors), returning what it computes.
CALLS: dict[str, Callable[[Callable, Priors], Any]] = {
    "simulate": lambda m, p: simulate(m, p, 1024, method="lhs", rng=3),
    "simulate_summary": lambda m, p: simulate_summary(m, p, 1024, rng=3, chunk_size=300),
    "simulate_thinned": lambda m, p: simulate_thinned(m, p, 1024, rng=3, chunk_size=300, rows=100),
    "sensitivity": lambda m, p: sensitivity(m, p, output="profit_per_day", method="sobol", n=256, rng=1),
    "tornado": lambda m, p: tornado(m, p, output="profit_per_day"),
    "sweep": lambda m, p: sweep(m, p, "gpu_hour_price", [1.5, 9.0], 512, rng=2),
    "solve": lambda m, p: solve(m, p, "gpu_hour_price", "P(profit_per_day > 0) >= 0.9", 1.0, 40.0, 1024, rng=1),
    "simulate_to_precision": lambda m, p: simulate_to_precision(
        m, p, parse_precision("mean:20%"), "profit_per_day", samples=512, rng=1),
}


def _priors(root: Path, **entries: Any) -> Priors:
    """DeepSeek's published values, its GPU rent uncertain, with ``entries`` replacing its own."""
    data = tomllib.loads((root / "priors" / "deepseek-2025-02-27.toml").read_text(encoding="utf-8"))
    data["gpu_hour_price"] = {"dist": "triangular", "low": 1.5, "mode": 2.0, "high": 3.5, "unit": "USD/GPU-hour"}
    data.update(entries)
    return priors_from_dict(data, file="p.toml")


def _numbers(result: Any) -> dict[str, np.ndarray]:
    """Every number a result holds, by name (a tuple's parts prefixed by their position)."""
    if isinstance(result, tuple):
        return {f"{i}.{k}": v for i, part in enumerate(result) for k, v in _numbers(part).items()}
    if isinstance(result, xr.Dataset):
        return {k: np.asarray(v.values, dtype=float) for k, v in {**result.data_vars, **result.coords}.items()
                if np.issubdtype(v.dtype, np.number)}
    return {k: np.asarray(v, dtype=float) for k, v in asdict(result).items() if isinstance(v, int | float)}


def _datasets(result: Any) -> list[xr.Dataset]:
    parts = result if isinstance(result, tuple) else (result,)
    return [d for d in parts if isinstance(d, xr.Dataset)]


def _run(call: Callable[[Callable, Priors], Any], priors: Priors) -> tuple[Any, list[tuple[str, str]]]:
    """``call(maas, priors)`` and the warnings it gave: (message, file it points at)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(maas, priors)
    return result, [(str(w.message), Path(w.filename).name) for w in caught]


@pytest.mark.parametrize("name", list(CALLS))
def test_a_price_per_1k_tokens_gives_the_numbers_of_the_same_price_per_1m(root, name) -> None:
    want, other = _run(CALLS[name], _priors(root, price_output=PER_1M))
    got, said = _run(CALLS[name], _priors(root, price_output=PER_1K))
    # Said once, in the study run's words, at the caller's line (this file); nothing else changes.
    assert said == [(f"unit converted: {LINE}", "test_api_units.py"), *other]
    a, b = _numbers(got), _numbers(want)
    assert a.keys() == b.keys() and a
    for k in a:  # the draws differ only by rounding: 1000 * (0.0015 + u 0.0015) against 1.5 + u 1.5
        np.testing.assert_allclose(a[k], b[k], rtol=1e-10, atol=1e-12, err_msg=k)
    # The results (first of a pair; simulate_thinned's kept samples too; not precision's table) say it.
    for ds, ref in list(zip(_datasets(got), _datasets(want), strict=True))[:1 if name != "simulate_thinned" else 2]:
        assert ds.attrs["unit_conversions"] == LINE and "unit_conversions" not in ref.attrs
        if "price_output" in ds:  # labelled in the model's unit, as the reference
            assert ds["price_output"].attrs["units"] == ref["price_output"].attrs["units"]


def test_the_converted_price_is_the_model_units_price(root) -> None:
    with pytest.warns(MCRiskWarning, match="^unit converted: price_output: USD/1K tokens -> USD/1M tokens: x 1,000$"):
        ds = simulate(maas, _priors(root, price_output={"value": 0.00219, "unit": "USD/1K tokens"}), 8, rng=0)
    assert float(ds["price_output"]) == 0.00219 * 1000  # the factor applied once, to the constant
    ref = simulate(maas, _priors(root, price_output={"value": 0.00219 * 1000, "unit": "USD/1M tokens"}), 8, rng=0)
    np.testing.assert_array_equal(ds["profit_per_day"].values, ref["profit_per_day"].values)


def _study(tmp_path: Path, root: Path, extra: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(f'model = "maas"\npriors = [{str(root / "priors" / "deepseek-2025-02-27.toml")!r}]\n'
                    f'samples = 64\nseed = 1\n{extra}\n', encoding="utf-8")
    return path


def _study_error(tmp_path: Path, root: Path, name: str, entry: dict[str, Any]) -> str:
    """The one line a study file with ``[inputs.name] = entry`` gets, without its file name."""
    table = "\n".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in entry.items())
    path = _study(tmp_path, root, f"[inputs.{name}]\n{table}".replace("'", '"'))
    with pytest.raises(SpecError) as err:
        load_study(path)
    assert str(err.value).startswith(f"{path}: ")
    return str(err.value).removeprefix(f"{path}: ")


@pytest.mark.parametrize("name", list(CALLS))
def test_an_inconvertible_unit_is_refused_in_the_study_files_line(tmp_path, root, name) -> None:
    entry = {"value": 2.19, "unit": "tokens/s"}
    assert _study_error(tmp_path, root, "price_output", entry) == BAD_UNIT
    with pytest.raises(SpecError) as err:
        CALLS[name](maas, _priors(root, price_output=entry))
    assert str(err.value) == f"{name}: {BAD_UNIT}"


@pytest.mark.parametrize("entry", [{"value": 2.0}, {"dist": "normal", "mean": 0.9, "sd": 0.1},
                                   {"dist": "uniform", "low": 50, "high": 100}],
                         ids=["constant-2", "normal-leaves-[0,1]", "percent-as-share"])
def test_a_share_outside_0_1_is_refused_by_simulate_as_by_a_study_file(tmp_path, root, entry) -> None:
    message = _study_error(tmp_path, root, "paid_share", entry)
    assert message.startswith("[paid_share] ") and "outside the domain of paid_share, [0, 1]" in message
    with pytest.raises(SpecError) as err:
        simulate(maas, _priors(root, paid_share=entry), 64, rng=0)
    assert str(err.value) == f"simulate: {message}"


@pytest.mark.parametrize("name", [k for k in CALLS if k != "simulate"])
def test_every_entry_point_checks_domains(root, name) -> None:
    with pytest.raises(SpecError, match=rf"^{name}: \[paid_share\] value 2 lies outside the domain of paid_share, "
                                        r"\[0, 1\]; a share is a fraction \(0.5 for 50%\), or give unit = \"%\"$"):
        CALLS[name](maas, _priors(root, paid_share=2.0))


def test_conformed_priors_are_not_converted_again(root) -> None:
    with pytest.warns(MCRiskWarning, match=f"^unit converted: {LINE}$"):
        once, notes = conform_call(maas, _priors(root, price_output=PER_1K), where="simulate")
    assert notes == (LINE,) and once["price_output"].scale == 1000.0
    twice, again = conform_call(maas, once, where="simulate")  # filterwarnings = error: no warning either
    assert twice is once and again == ()
    # An entry added later is conformed alone; the others are not converted a second time.
    more = once.merged(priors_from_dict({"paid_share": {"value": 50, "unit": "%"}}, file="q.toml"))
    with pytest.warns(MCRiskWarning, match=r"^unit converted: paid_share: % -> 1: x 0.01$"):
        done, notes = conform_call(maas, more, where="simulate")
    assert notes == ("paid_share: % -> 1: x 0.01",) and done["paid_share"].params["value"] == 0.5
    assert done["price_output"] is once["price_output"] and done["price_output"].scale == 1000.0


def test_a_study_run_converts_and_says_it_once(tmp_path, root) -> None:
    path = _study(tmp_path, root, '[inputs.price_output]\nvalue = 0.00219\nunit = "USD/1K tokens"\n[tornado]')
    study = load_study(path)
    assert study.conversions == ("price_output: USD/1K tokens -> USD/1M tokens: x 1,000",)
    assert conform_call(study.model, study.priors, where="simulate")[0] is study.priors
    lines: list[str] = []
    run = run_study(study, write=False, echo=lines.append)  # any MCRiskWarning would fail here
    assert [x for x in lines if "unit converted" in x] == [
        "unit converted: price_output: USD/1K tokens -> USD/1M tokens: x 1,000"]
    assert run.results.attrs["unit_conversions"] == "price_output: USD/1K tokens -> USD/1M tokens: x 1,000"
    assert float(run.results["price_output"]) == 0.00219 * 1000


def test_an_uncertain_exchange_rate_study_runs_through_the_api(tmp_path, root) -> None:
    path = _study(tmp_path, root, 'currency = "USD"\n[inputs.gpu_hour_price]\nvalue = 14.0\nunit = "CNY/GPU-hour"\n'
                                  '[fx]\nCNY = { dist = "triangular", low = 0.137, mode = 0.138, high = 0.1395 }')
    study = load_study(path)
    ds = simulate(study.model, study.priors, 64, rng=1)  # no second conversion, no error on the CNY column
    np.testing.assert_array_equal(ds["gpu_hour_price"].values, 14.0)
    held = set_inputs(study, {"gpu_hour_price": 13.0, "paid_share": 0.5})  # --set keeps the rest conformed
    ds = simulate(held.model, held.priors, 64, rng=1)
    assert float(ds["gpu_hour_price"]) == 13.0 and float(ds["paid_share"]) == 0.5
    # a value outside its domain is refused where it is set, as the same value in a file is
    with pytest.raises(SpecError, match=r"^--set paid_share=2.0: value 2 lies outside the domain of paid_share, "
                                        r"\[0, 1\]; a share is a fraction"):
        set_inputs(study, {"paid_share": 2.0})


def test_models_without_declared_units_are_untouched(tmp_path) -> None:
    def plain(x, y):
        return {"z": x * y}

    (tmp_path / "m.py").write_text("def f(x, y):\n    return {'z': x * y}\n", encoding="utf-8")
    from_file = resolve_model("m.py:f", base=tmp_path)
    priors = priors_from_dict({"x": {"value": 2.0, "unit": "USD/1K tokens"},
                               "y": {"dist": "uniform", "low": -5, "high": 5, "unit": "tokens/s"}}, file="p.toml")
    for model in (plain, from_file):
        assert conform_call(model, priors, where="simulate")[0] is priors
        ds = simulate(model, priors, 256, rng=0)  # no warning (filterwarnings = error), no scale
        np.testing.assert_array_equal(ds["z"].values, 2.0 * ds["y"].values)
        assert "unit_conversions" not in ds.attrs and float(ds["x"]) == 2.0


def test_drawn_inputs_in_other_units_are_converted_before_the_model_call(root) -> None:
    from mcrisk.analyze.sweep import lever_inputs
    from mcrisk.sampling.design import sample

    per_1k, per_1m = _priors(root, price_output=PER_1K), _priors(root, price_output=PER_1M)
    ref = simulate(maas, sample(per_1m, 512, method="lhs", rng=4))
    with pytest.warns(MCRiskWarning, match=f"^unit converted: {LINE}$") as caught:
        got = simulate(maas, sample(per_1k, 512, method="lhs", rng=4))
    assert [Path(w.filename).name for w in caught] == ["test_api_units.py"]
    assert got.attrs["unit_conversions"] == LINE and got["price_output"].attrs["units"] == "USD/1M tokens"
    np.testing.assert_allclose(got["profit_per_day"].values, ref["profit_per_day"].values, rtol=1e-10)
    # A sweep on inputs drawn beforehand: every lever value, not only the first, sees the converted column.
    want = sweep(maas, per_1m, "gpu_hour_price", [1.5, 9.0], 256,
                 inputs=lever_inputs(per_1m, "gpu_hour_price", 256, rng=5))
    with pytest.warns(MCRiskWarning, match=f"^unit converted: {LINE}$") as caught:  # the priors, the drawn column
        swept = sweep(maas, per_1k, "gpu_hour_price", [1.5, 9.0], 256,
                      inputs=lever_inputs(per_1k, "gpu_hour_price", 256, rng=5))
    assert len(caught) == 2 and swept.attrs["unit_conversions"] == LINE
    np.testing.assert_allclose(swept["profit_per_day"].values, want["profit_per_day"].values, rtol=1e-10)
    bad = priors_from_dict({"price_output": {"value": 2.19, "unit": "tokens/s"}}, file="p.toml")
    with pytest.raises(SpecError) as err:
        simulate(maas, sample(per_1m, 8, rng=0).assign(price_output=sample(bad, 8, rng=0)["price_output"]))
    assert str(err.value) == f"simulate: {BAD_UNIT}"
