"""Priors by reference, --set, labels and the bibliography check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from mcrisk.spec.bibliography import cited_sources, source_keys, unknown_keys
from mcrisk.cli.main import main
from mcrisk.core.errors import SpecError
from mcrisk.core.labels import label_of, period_text, period_unit, shown_unit
from mcrisk.models import maas
from mcrisk.spec.priorref import set_inputs
from mcrisk.spec.priors import load_priors
from mcrisk.spec.studyfile import load_study

MARKET = (ROOT / "priors" / "market-2025.toml").as_posix()
DEEPSEEK = (ROOT / "priors" / "deepseek-2025-02-27.toml").as_posix()


def _study(tmp_path: Path, inputs: str, **extra: str) -> Path:
    body = "\n".join(f"{k} = {v}" for k, v in extra.items())
    path = tmp_path / "s.toml"
    path.write_text(f'model = "maas"\npriors = ["{DEEPSEEK}"]\nsamples = 100\n{body}\n[inputs]\n{inputs}\n',
                    encoding="utf-8")
    return path


def test_a_ref_is_the_library_entry_with_the_keys_beside_it_on_top(tmp_path) -> None:
    path = _study(tmp_path, f'gpu_hour_price = {{ ref = "{MARKET}#h800_gpu_hour_price", label = "H800 rent" }}')
    got = load_study(path).priors["gpu_hour_price"]
    lib = load_priors(MARKET)["h800_gpu_hour_price"]
    assert (got.family, dict(got.params), got.unit, got.source, got.note) == (
        lib.family, dict(lib.params), lib.unit, lib.source, lib.note)
    assert got.label == "H800 rent"


@pytest.mark.parametrize(("ref", "message"), [
    ("nofile.toml#x", "ref = 'nofile.toml#x': no such file "),
    (f"{MARKET}#no_such_entry", f"ref = '{MARKET}#no_such_entry': {MARKET} has no entry no_such_entry; entries: "),
    (f"{MARKET}", f"ref = '{MARKET}' must be \"FILE.toml#entry\""),
    (f"{MARKET}#currency", f"ref = '{MARKET}#currency': [currency] is not a distribution"),
], ids=["missing-file", "missing-entry", "no-entry", "not-a-distribution"])
def test_a_bad_ref_is_one_line_naming_file_and_key(tmp_path, ref: str, message: str) -> None:
    path = _study(tmp_path, f'gpu_hour_price = {{ ref = "{ref}" }}')
    with pytest.raises(SpecError) as err:
        load_study(path)
    text = str(err.value)
    assert text.startswith(f"{path}: [inputs.gpu_hour_price] {message}") and "\n" not in text, text


def test_a_key_beside_ref_that_is_not_metadata_is_an_error(tmp_path) -> None:
    path = _study(tmp_path, f'gpu_hour_price = {{ ref = "{MARKET}#h800_gpu_hour_price", low = 1 }}')
    with pytest.raises(SpecError, match=r"\[inputs.gpu_hour_price\] low = 1 is not a key; "
                                        r"allowed: ref, label, note, unit, base, source, spread$"):
        load_study(path)


def test_set_holds_an_input_for_one_run(tmp_path, capsys) -> None:
    path = _study(tmp_path, 'gpu_hour_price = { dist = "uniform", low = 1.5, high = 2.5, source = "judgement" }')
    study = set_inputs(load_study(path), {"gpu_hour_price": 3.0})
    p = study.priors["gpu_hour_price"]
    assert (p.family, p.params["value"], p.unit, p.source) == ("constant", 3.0, "USD/GPU-hour",
                                                                "--set on the command line")
    assert study.text.endswith("\n# --set gpu_hour_price=3.0")
    with pytest.raises(SpecError, match=r"^--set gpu_hour_prize=3.0: not an input of the study; inputs: "):
        set_inputs(load_study(path), {"gpu_hour_prize": 3.0})
    assert main(["run", str(path), "--set", "gpu_hour_price=3", "--set", "paid_share=0.5", "--out",
                 str(tmp_path / "out"), "--formats", "svg", "--quiet"]) == 0
    import xarray as xr

    with xr.open_dataset(tmp_path / "out" / "results.nc") as ds:
        assert float(ds.gpu_hour_price) == 3.0 and float(ds.paid_share) == 0.5
        # DeepSeek's day at USD 3 per GPU-hour and half the tokens billed: a constant, by hand
        out = maas(**{k: float(ds[k]) for k in ds.data_vars if ds[k].attrs.get("role") == "input"})
        np.testing.assert_allclose(ds.profit_per_day.values, out["profit_per_day"], rtol=1e-12)


def test_labels_are_plain_words_per_period() -> None:
    assert label_of("decode_tps_per_node", model=maas) == "Decode throughput per node"
    assert label_of("profit_per_day", model=maas, period_days=30) == "Profit per month"
    assert label_of("cost_per_day", model=maas, period_days=7) == "Cost per 7 days"
    assert label_of("fleet_nodes") == "Fleet nodes"
    assert period_unit("CNY/day", 30) == "CNY/month" and period_unit("tokens/s", 30) == "tokens/s"
    assert period_text("Profit per day", None) == "Profit per day"
    assert shown_unit("1") == "%" and shown_unit("USD/day") == "USD/day" and shown_unit("") == ""


def test_every_maas_variable_has_a_label() -> None:
    assert all(v.label for v in {**maas.inputs, **maas.outputs}.values())


def test_check_warns_about_an_unknown_source_key_and_strict_fails(tmp_path, capsys) -> None:
    path = _study(tmp_path, 'gpu_hour_price = { value = 2.0, source = "a blog [nowhere-2025]" }')
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == (f"warning: {path}: [gpu_hour_price] source cites [nowhere-2025], which no "
                                       "SOURCES.md beside the priors files holds\n")
    assert main(["check", "--strict", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}: [gpu_hour_price] source cites [nowhere-2025]")
    assert source_keys("DeepSeek [DS-post]; [MIT-TR], [0.5, 1] and [DS-post]") == ["DS-post", "MIT-TR"]
    study = load_study(path)
    assert unknown_keys(study.priors) == [("gpu_hour_price", "nowhere-2025")]
    cited = dict(cited_sources(study.priors))
    assert cited["nowhere-2025"] == "(not in the bibliography)"
    assert all(v != "(not in the bibliography)" for k, v in cited.items() if k != "nowhere-2025")


def test_a_priors_file_named_three_times_is_read_once_and_each_prior_probed_once(tmp_path, monkeypatch) -> None:
    import pathlib

    import mcrisk.spec.priors as priors_module
    from mcrisk.spec.priorspec import Prior

    lib = tmp_path / "lib.toml"
    text = Path(DEEPSEEK).read_text(encoding="utf-8")
    text = text.replace("[gpu_hour_price]\nvalue = 2.0", '[gpu_hour_price]\ndist = "triangular"\nlow = 1.5\nmode = 2\nhigh = 3.5')
    text = text.replace("[peak_to_avg]\nvalue = 1.2260198456", '[peak_to_avg]\ndist = "pert"\nlow = 1.1\nmode = 1.2\nhigh = 1.6')
    lib.write_text(text + '\n[[correlation]]\nbetween = ["gpu_hour_price", "peak_to_avg"]\nrank = 0.3\n',
                   encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text('model = "maas"\npriors = ["lib.toml"]\nsamples = 100\n[inputs]\n'
                    'gpu_hour_price = { ref = "lib.toml#gpu_hour_price", label = "rent" }\n'
                    'peak_to_avg = { ref = "lib.toml#peak_to_avg" }\n', encoding="utf-8")
    opened: list[str] = []
    read_text = pathlib.Path.read_text
    monkeypatch.setattr(pathlib.Path, "read_text", lambda p, *a, **k: opened.append(p.name) or read_text(p, *a, **k))
    factored: list[tuple[str, ...]] = []
    factor = priors_module.copula_factor
    monkeypatch.setattr(priors_module, "copula_factor", lambda c, names: factored.append(names) or factor(c, names))
    probed: list[str] = []
    ppf = Prior.ppf

    def counted_ppf(prior: Prior, u: np.ndarray, **kwargs: bool) -> np.ndarray:
        if len(u) > 1:  # the output probe evaluates every prior at one probability, 0.5
            probed.append(prior.name)
        return ppf(prior, u, **kwargs)

    monkeypatch.setattr(Prior, "ppf", counted_ppf)

    study = load_study(path)
    assert sorted(n for n in opened if n.endswith(".toml")) == ["lib.toml", "s.toml"]
    assert len(factored) == 1  # the file's matrix; the study adds no correlation, so not again
    # each distribution's quantiles at PROBE computed once (equal constants share theirs), and
    # not again for the domain check; the two referenced entries are probed with the library
    assert len(probed) == len(set(probed)) and {"gpu_hour_price", "peak_to_avg"} <= set(probed), probed
    assert study.priors["gpu_hour_price"].label == "rent"


def test_a_set_value_passes_the_domain_check_a_file_value_does(tmp_path) -> None:
    tail = ("value 5 lies outside the domain of paid_share, [0, 1]; a share is a fraction (0.5 for 50%), "
            'or give unit = "%"')
    path = _study(tmp_path, "paid_share = 5.0")
    with pytest.raises(SpecError) as err:
        load_study(path)
    assert str(err.value) == f"{path}: [paid_share] {tail}"
    good = _study(tmp_path, "paid_share = 0.5")
    with pytest.raises(SpecError) as err:
        set_inputs(load_study(good), {"paid_share": 5.0})
    assert str(err.value) == f"--set paid_share=5.0: {tail}"
    assert set_inputs(load_study(good), {"paid_share": 1.0}).priors["paid_share"].params["value"] == 1.0
