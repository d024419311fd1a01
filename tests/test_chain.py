"""Model options, chains, gpu_hour_cost, and hourly outputs through studies (results.nc, chunks, summaries)."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from mcrisk import SpecError, load_study, run_study
from mcrisk.cli.main import main
from mcrisk.models import bind_options, chain, gpu_hour_cost, maas, maas_hourly
from mcrisk.models.gpu_cost import annuity
from mcrisk.core.statistics import outputs_of

OWN = dict(server_price_per_gpu=30_000.0, depreciation_years=4.0, financing_rate=0.08, power_kw_per_gpu=1.2,
           pue=1.3, electricity_price=0.1, hosting_per_gpu_year=2_000.0, service_share=0.9)
SERVE = dict(input_tokens=608e9, output_tokens=168e9, prefill_tps_per_node=73_700.0, decode_tps_per_node=14_800.0,
             price_input_miss=0.55, price_output=2.19)


def test_annuity_closed_forms():
    assert float(annuity(1000.0, 0.1, 2)) == pytest.approx(1000 * 0.1 / (1 - 1.1 ** -2), rel=1e-15)
    assert float(annuity(1000.0, 0.0, 4)) == 250.0
    # a tiny rate tends to price / years (no cancellation in expm1/log1p)
    assert float(annuity(1000.0, 1e-12, 4)) == pytest.approx(250.0, rel=1e-9)


def test_gpu_hour_cost_by_hand():
    out = gpu_hour_cost(**OWN)
    capital = 30_000 * 0.08 / (1 - 1.08 ** -4)  # 9,057.62 a year; USD 1.5585 a GPU-hour in all
    expected = (capital + 2_000) / (8760 * 0.9) + 1.2 * 1.3 * 0.1
    assert float(out["gpu_hour_price"]) == pytest.approx(expected, rel=1e-14)


def test_chain_feeds_outputs_to_later_inputs():
    c = chain([gpu_hour_cost, maas_hourly], ["gpu_hour_cost", "maas_hourly"])
    out = c(**OWN, **SERVE)
    ref = maas_hourly(**SERVE, gpu_hour_price=gpu_hour_cost(**OWN)["gpu_hour_price"])
    assert out["cost_per_day"].item() == ref["cost_per_day"].item()
    assert "gpu_hour_price" in out and "gpu_hour_price" in c.outputs
    assert "gpu_hour_price" not in c.inputs and "electricity_price" in c.inputs
    assert c.default_output == "profit_per_day" and c.name == "gpu_hour_cost -> maas_hourly"
    again = pickle.loads(pickle.dumps(c))  # chunks may run in other processes
    assert again(**OWN, **SERVE)["cost_per_day"].item() == ref["cost_per_day"].item()


@pytest.mark.parametrize("models, message", [
    (["maas", "maas_hourly"], "output nodes_avg is produced twice, by maas and by maas_hourly; each output "
                              "must come from one model"),
    (["maas_hourly", "gpu_hour_cost"], "maas_hourly takes gpu_hour_price, which gpu_hour_cost produces after "
                                       "it; put gpu_hour_cost before maas_hourly"),
])
def test_chain_errors(tmp_path, models, message):
    path = tmp_path / "s.toml"
    path.write_text(f"model = {models!r}\n".replace("'", '"'))
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: model = {models!r}: {message}')}$"):
        load_study(path)


def _study(tmp_path: Path, body: str, model: str = '"maas_hourly"') -> Path:
    (tmp_path / "p.toml").write_text("""currency = "USD"
input_tokens = { dist = "uniform", low = 4e11, high = 8e11 }
output_tokens = 168e9
prefill_tps_per_node = 73_700
decode_tps_per_node = 14_800
gpu_hour_price = { dist = "uniform", low = 1.5, high = 2.5 }
price_input_miss = 0.55
price_output = 2.19
""")
    path = tmp_path / "s.toml"
    path.write_text(f'model = {model}\npriors = ["p.toml"]\nsamples = 200\nseed = 3\n{body}')
    return path


def test_study_options_reach_the_model(tmp_path):
    study = load_study(_study(tmp_path, '[options]\nshape = "deepseek-2025-02-27"\npolicy = "elastic"\n'
                                        'step_nodes = 10\nlag_hours = 1\n'))
    assert study.model.bound["policy"] == "elastic"
    run = run_study(study, write=False)
    nodes = run.results["nodes"]
    assert nodes.dims == ("sample", "hour") and nodes.attrs["units"] == "nodes"
    assert np.all(nodes.values % 10 == 0)
    assert "nodes" not in outputs_of(run.results) and "nodes" not in run.summary["output"]
    assert "profit_per_day" in run.summary["output"]


def test_study_option_errors(tmp_path, capsys):
    path = _study(tmp_path, "[options]\npolcy = 'elastic'\n")
    assert main(["check", str(path)]) == 2  # one line, exit status 2, no traceback
    assert capsys.readouterr().err.startswith(f"error: {path}: [options] polcy = 'elastic' is not a key")
    with pytest.raises(SpecError, match=re.escape(f"{path}: [options] polcy = 'elastic' is not a key; "
                                                  "allowed: shape, policy, schedule")):
        load_study(path)
    path = _study(tmp_path, "[options]\npolicy = 'elastc'\n")
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: [options]: policy = ')}"):
        load_study(path)
    path = _study(tmp_path, "[options]\nshape = 'flat'\n", model='"maas"')
    with pytest.raises(SpecError, match=re.escape("[options] shape = 'flat' is not a key; allowed: throughput_curve")):
        load_study(path)
    # the schedule is checked against the load when the study loads (one sample is evaluated)
    path = _study(tmp_path, "[options]\npolicy = 'schedule'\nschedule = " + str([100] * 24) + "\n")
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: schedule has too few nodes for the load: hours 0, 1, 2')}"):
        load_study(path)


def test_chain_study_leaves_an_input_unset(tmp_path):
    path = _study(tmp_path, "", model='["gpu_hour_cost", "maas_hourly"]')
    with pytest.raises(SpecError, match=re.escape("needs server_price_per_gpu, depreciation_years, "
                                                  "electricity_price, which no prior or input gives")):
        load_study(path)


def test_hourly_results_same_for_any_chunk_size(tmp_path):
    from mcrisk import simulate
    study = load_study(_study(tmp_path, '[options]\nshape = "deepseek-2025-02-27"\n'))
    whole = simulate(study.model, study.priors, 100, rng=5)
    parts = simulate(study.model, study.priors, 100, rng=5, chunk_size=30)
    xr.testing.assert_identical(whole.drop_attrs(), parts.drop_attrs())
    assert whole["cost"].sum("hour").values == pytest.approx(whole["cost_per_day"].values, rel=1e-14)


def test_hourly_run_writes_results_and_summary_only(tmp_path):
    path = _study(tmp_path, '[options]\nshape = "deepseek-2025-02-27"\n')
    run_study(path, out=tmp_path / "out", formats=("png",))
    with xr.open_dataset(tmp_path / "out" / "results.nc") as ds:
        assert ds["revenue"].dims == ("sample", "hour") and ds["revenue"].attrs["units"] == "USD / hour"
        assert ds["revenue"].attrs["units_label"] == "USD/hour"  # pint's spelling, and the model's
    run = run_study(path, out=tmp_path / "so", summary_only=True, chunk_size=64)
    full = run_study(path, write=False)
    assert set(run.summary["output"].values) == set(full.summary["output"].values)
    np.testing.assert_allclose(run.summary["mean"].values, full.summary["mean"].values, rtol=1e-12)


def test_describe_lists_options_and_the_chain(tmp_path, capsys):
    assert main(["describe", "maas_hourly"]) == 0
    out = capsys.readouterr().out
    assert "\nOptions ([options] in a study)\n  shape             default 'flat'   the day's load" in out
    path = _study(tmp_path, '[options]\npolicy = "elastic"\n', model='["gpu_hour_cost", "maas_hourly"]')
    text = path.read_text().replace("gpu_hour_price = { dist = \"uniform\", low = 1.5, high = 2.5 }\n", "")
    (tmp_path / "p.toml").write_text((tmp_path / "p.toml").read_text().replace(
        'gpu_hour_price = { dist = "uniform", low = 1.5, high = 2.5 }\n',
        "server_price_per_gpu = 30000\ndepreciation_years = 4\nelectricity_price = 0.1\n"))
    path.write_text(text)
    assert main(["describe", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: model ['gpu_hour_cost', 'maas_hourly']: The chain gpu_hour_cost -> maas_hourly" in out
    assert "  policy            set to 'elastic'" in out
    assert "server_price_per_gpu" in out and "  gpu_hour_price " in out.split("\nOutputs\n")[1]


def test_bind_options_converts_lists_and_pickles():
    bound = bind_options(maas_hourly, {"shape": [1] * 12 + [3] * 12}, where="x")
    assert isinstance(bound.bound["shape"], np.ndarray)
    out = pickle.loads(pickle.dumps(bound))(**SERVE, gpu_hour_price=2.0)
    np.testing.assert_allclose(out["load_nodes"][0, 12:], 3 * out["load_nodes"][0, :12], rtol=1e-15)
    assert maas_hourly.options.keys() >= {"shape", "policy"} and list(maas.options) == ["throughput_curve"]


def test_hourly_outputs_through_dask_blocks(tmp_path):
    # the dask path stacks every variable of a block; (sample, hour) outputs give one row per hour
    pytest.importorskip("dask")
    from mcrisk import simulate
    from mcrisk.simulation.distributed import simulate_dask

    study = load_study(_study(tmp_path, '[options]\nshape = "deepseek-2025-02-27"\npolicy = "elastic"\n'))
    whole = simulate(study.model, study.priors, 50, method="lhs", rng=4)
    blocks = simulate_dask(study.model, study.priors, 50, method="lhs", seed=4, chunk_size=7,
                           client="synchronous")
    assert blocks["cost"].dims == ("sample", "hour")
    for k in whole.data_vars:
        np.testing.assert_array_equal(blocks[k].values, whole[k].values, err_msg=k)


def test_sweep_of_an_hourly_model_keeps_the_daily_outputs(tmp_path):
    from mcrisk.analyze.sweep import sweep

    study = load_study(_study(tmp_path, '[options]\nshape = "deepseek-2025-02-27"\n'))
    ds = sweep(study.model, study.priors, "gpu_hour_price", [1.0, 2.0], 40, rng=2)
    assert "cost" not in ds and ds["cost_per_day"].dims == ("gpu_hour_price", "sample")
    # cost is linear in the GPU-hour price on common random numbers
    np.testing.assert_allclose(ds["cost_per_day"].sel(gpu_hour_price=2.0), 2 * ds["cost_per_day"].sel(gpu_hour_price=1.0),
                               rtol=1e-14)


def test_a_chain_s_long_input_list_is_cut_in_the_message() -> None:
    # found by tests/test_fuzz.py: gpu_hour_cost -> maas_hourly takes 29 inputs, 500 characters
    # of names; the one-line message lists the first 300 characters of them and says it is cut.
    from mcrisk.models import model_inputs, model_name
    from mcrisk.models.call import check_inputs

    both = chain([gpu_hour_cost, maas_hourly])
    required, optional, _ = model_inputs(both)
    assert len(", ".join([*required, *optional])) > 300
    with pytest.raises(SpecError) as err:
        check_inputs(both, [*required, "x"], where="s.toml")
    head, names = str(err.value).split("; its inputs: ")
    assert head == f"s.toml: x is not an input of model {model_name(both)}"
    assert len(names) == 300 and names.endswith(" ...") and names.startswith("server_price_per_gpu, ")


# ---- [options] of a plain function from a user file ---------------------------------------------

_PLAIN = '''import numpy as np


def f(*, x, w=None):
    weight = 1.0 if w is None else float(np.dot(w, [1.0, 2.0]))
    return {"y": x * weight}
'''


def _plain_study(tmp_path: Path, options: str, *, decorated: bool = False) -> Path:
    code = _PLAIN if not decorated else _PLAIN.replace(
        "\n\ndef f", '\nimport mcrisk\n\n\n@mcrisk.model(outputs={"y": "USD/day"})\ndef f')
    (tmp_path / "fmod.py").write_text(code)
    path = tmp_path / "s.toml"
    path.write_text('model = "fmod.py:f"\noutput = "y"\nsamples = 50\nseed = 1\n'
                    f'[inputs]\nx = {{ dist = "uniform", low = 1, high = 3 }}\n{options}')
    return path


def test_a_plain_function_takes_its_keyword_parameters_as_options(tmp_path, capsys):
    study = load_study(_plain_study(tmp_path, "[options]\nw = [1.5, 2.5]\n"))
    np.testing.assert_array_equal(study.model.bound["w"], [1.5, 2.5])
    assert study.levers == ("x",)  # w is set, not an input
    run = run_study(study, out=tmp_path / "out", formats=("png",))
    x, y = run.results["x"].values, run.results["y"].values
    np.testing.assert_array_equal(y, x * 6.5)  # 1.5 * 1 + 2.5 * 2
    assert main(["describe", str(tmp_path / "s.toml")]) == 0
    assert "\n  w  set to [1.5, 2.5]  a keyword parameter of the function\n" in capsys.readouterr().out
    plain = run_study(load_study(_plain_study(tmp_path, "")), write=False)
    np.testing.assert_array_equal(plain.results["y"].values, x)  # w = None: weight 1, same samples


def test_a_plain_function_refuses_a_name_it_does_not_take(tmp_path, capsys):
    path = _plain_study(tmp_path, "[options]\nv = 2\n")
    message = (f"{path}: [options] v = 2 is not a keyword parameter of f; options it takes (its keyword "
               "parameters that are not inputs): w")
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        load_study(path)
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    path = _plain_study(tmp_path, "[options]\nx = 2\n")  # an input cannot also be an option
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: [options] x = 2 is an input of f (it has a prior); give it in [inputs] or as an option, not both; options it takes: w')}$"):
        load_study(path)


def test_a_declared_function_takes_only_its_declared_options(tmp_path):
    path = _plain_study(tmp_path, "[options]\nw = [1.5, 2.5]\n", decorated=True)
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: [options] w = [1.5, 2.5] is not a key; allowed: (none)')}$"):
        load_study(path)
