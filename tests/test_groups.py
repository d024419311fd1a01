"""Correlated inputs attributed as groups: closed forms, the announced switch, the group in every table."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from mcrisk import MCRiskWarning
from mcrisk.analyze.groups import correlation_groups
from mcrisk.analyze.sensitivity import rank_order, sensitivity
from mcrisk.core.statistics import Z95_TWO_SIDED
from mcrisk.distributions.correlations import Correlation
from mcrisk.spec.priors import priors_from_dict
from conftest import bonferroni_z, spearman_se


def _normals(rank: float):
    return priors_from_dict({**{k: {"dist": "normal", "mean": 0.0, "sd": 1.0} for k in ("x1", "x2", "x3")},
                             "correlation": [{"between": ["x1", "x2"], "rank": rank}]}, file="corr")


def _uniforms(rank: float):
    return priors_from_dict({**{k: {"dist": "uniform", "low": 0.0, "high": 1.0} for k in ("a", "b", "c")},
                             "correlation": [{"between": ["a", "b"], "rank": rank}]}, file="corr")


def _sum(x1, x2, x3):
    return {"y": x1 + x2 + x3}


def test_groups_are_the_connected_components_of_the_correlation_graph():
    pairs = [Correlation("a", "b", 0.5), Correlation("c", "b", -0.3), Correlation("e", "f", 1.0),
             Correlation("d", "g", 0.0)]                  # a rank of 0 correlates nothing
    assert correlation_groups(pairs, ["a", "b", "c", "d", "e", "f", "g"]) == [
        "a, b, c", "a, b, c", "a, b, c", "d", "e, f", "e, f", "g"]
    assert correlation_groups([], ["a", "b"]) == ["a", "b"]


@pytest.mark.parametrize("rank", [0.6, 1.0], ids=["rank-0.6", "fixed-ratio"])
def test_sobol_indices_of_a_correlated_group_match_the_closed_form(rank):
    # x1, x2 standard normal through a Gaussian copula of Spearman rank `rank`: a bivariate
    # normal with Pearson r = 2 sin(pi rank / 6) (1 at rank 1: x2 = x1, one quantity twice).
    # y = x1 + x2 + x3 is additive, so first-order = total: the group {x1, x2} has variance
    # 2 + 2r, x3 has 1, S_group = (2 + 2r) / (3 + 2r), S_x3 = 1 / (3 + 2r).
    r = 1.0 if rank == 1 else 2 * math.sin(math.pi * rank / 6)
    want = {"x1": (2 + 2 * r) / (3 + 2 * r), "x2": (2 + 2 * r) / (3 + 2 * r), "x3": 1 / (3 + 2 * r)}
    ds = sensitivity(_sum, _normals(rank), output="y", method="sobol", n=2**12, rng=3)  # no warning: a note
    assert re.match(r"the priors declare rank correlations \(x1~x2 = (0\.6|1)\); sobol treats each group of "
                    r"correlated inputs \(\{x1, x2\}\) as one factor", ds.attrs["notes"])
    assert ds.attrs["model_runs"] == 2**12 * (2 + 2)  # two factors, not three inputs
    assert ds.attrs["indices_of"] == "groups" and ds.attrs["groups"] == "{x1, x2}"
    assert list(ds.group.values) == ["x1, x2", "x1, x2", ""]
    for index in ("S1", "ST"):
        # SALib's *_conf is 1.96 bootstrap SE; 4 SE (Bonferroni over 4 checks, never below 4) each side
        se = ds[f"{index}_conf"].values / Z95_TWO_SIDED
        np.testing.assert_array_less(np.abs(ds[index].values - [want[k] for k in ds.input.values]),
                                     bonferroni_z(4) * se)
        assert ds[index].sel(input="x1").item() == ds[index].sel(input="x2").item()  # one index, the group's
    assert list(ds.input.values[rank_order(ds)]) == ["x1", "x2", "x3"]


def test_morris_moves_a_group_together_exactly():
    # a = b (rank 1) and c uniform: y = 2a + c is linear, so every elementary effect per unit
    # change of the quantile is exact: 2 for the group {a, b}, 1 for c; no noise to allow for.
    ds = sensitivity(lambda a, b, c: {"y": a + b + c}, _uniforms(1.0), output="y", method="morris", n=20, rng=1)
    assert "morris treats each group of correlated inputs ({a, b}) as one factor" in ds.attrs["notes"]
    assert ds.attrs["model_runs"] == 20 * (2 + 1)
    np.testing.assert_allclose(ds.mu_star.values, [2.0, 2.0, 1.0], rtol=1e-12)
    assert list(ds.group.values) == ["a, b", "a, b", ""]


@pytest.mark.parametrize("method", ["fast", "rbd_fast"])
def test_fast_with_correlations_becomes_sobol_on_the_groups_announced_before_the_run(method):
    events: list = []

    def model(a, b, c):
        events.append(len(a))
        return {"y": a + b + c}

    with pytest.warns(MCRiskWarning) as caught:  # intervals wider than 0.1 at N = 1,024
        ds = sensitivity(model, _uniforms(1.0), output="y", method=method, rng=2, announce=events.append)
    assert not [w for w in caught if "assumes independent inputs" in str(w.message)]  # announced instead
    assert "sobol treats each group" in ds.attrs["notes"]
    pilot, line, runs = events                        # a pilot of the model, the announcement, the run
    assert pilot == 512 and runs == 4096 == ds.attrs["model_runs"]
    assert re.fullmatch(rf"{method} assumes independent inputs and SALib's {method} takes no groups, but the "
                        r"priors declare rank correlations \(a~b = 1\): running sobol on the groups "
                        r"\(\{a, b\}, c\) instead, N = 1,024, 4,096 model runs, (under a second|about \d+ s) "
                        r"by a pilot", line)
    assert ds.attrs["method"] == "sobol" and ds.attrs["requested_method"] == method
    assert ds.attrs["notes"].split("\n")[0] == line   # and it stays on the record
    # y = 2a + c with a, c uniform: S_{a,b} = 4/5, S_c = 1/5; 4 SE (Bonferroni over 2) each side
    se = ds.ST_conf.values / Z95_TWO_SIDED
    np.testing.assert_array_less(np.abs(ds.ST.values - [0.8, 0.8, 0.2]), bonferroni_z(2) * se)


def test_without_announce_the_switch_is_a_warning_before_the_model_runs():
    runs: list[int] = []
    with pytest.warns(MCRiskWarning) as caught:
        sensitivity(lambda a, b, c: runs.append(len(a)) or {"y": a + b + c}, _uniforms(0.5), output="y",
                    method="fast", n=65, rng=0)
    texts = [str(w.message) for w in caught]
    assert any(t.startswith("fast assumes independent inputs") and "N = 64, 256 model runs" in t for t in texts)
    # FAST's 65 x 3 = 195 runs become Sobol' N = 64 on 2 factors, 64 x 4 = 256 runs; the pilot runs them all
    assert runs == [256, 256]


def test_delta_runs_one_input_at_a_time_on_the_correlated_sample_and_names_the_group():
    seen = []

    def model(a, b, c):
        seen.append((pd.Series(a).corr(pd.Series(b), method="spearman"), len(a)))
        return {"y": a + 0.1 * b + c}

    ds = sensitivity(model, _uniforms(0.8), output="y", method="delta", n=2048, rng=0, num_resamples=5)
    assert ds.attrs["notes"] == ("the priors declare rank correlations (a~b = 0.8); delta is defined for dependent "
                                 "inputs one at a time: each index of {a, b} includes what the input shares with "
                                 "the others of its group, so they overlap and do not add up")
    rho, rows = seen[0]
    # 4 SE of Spearman's r at 0.8 over 2,048 rows
    assert rows == 2048 and abs(rho - 0.8) < bonferroni_z(1) * spearman_se(0.8, rows)
    assert ds.attrs["method"] == "delta" and ds.attrs["indices_of"] == "inputs"
    assert list(ds.group.values) == ["a, b", "a, b", ""]
    assert ds.delta.sel(input="a").item() != ds.delta.sel(input="b").item()


def test_uncorrelated_inputs_carry_no_group():
    priors = priors_from_dict({k: {"dist": "uniform", "low": 0.0, "high": 1.0} for k in ("a", "b")}, file="p")
    ds = sensitivity(lambda a, b: {"y": a + 2 * b}, priors, output="y", method="sobol", n=2**12, rng=0)
    assert "group" not in ds.coords and "groups" not in ds.attrs and "indices_of" not in ds.attrs


def test_second_order_indices_of_groups():
    with pytest.warns(MCRiskWarning) as caught:  # intervals wider than 0.1 at N = 512
        ds = sensitivity(lambda a, b, c: {"y": a * c + b}, _uniforms(1.0), output="y", method="sobol", n=512,
                         rng=0, calc_second_order=True)
    assert [w for w in caught if "wider than 0.1" in str(w.message)] and "sobol treats each group" in ds.attrs["notes"]
    assert ds.attrs["model_runs"] == 512 * (2 * 2 + 2)
    assert ds.S2.dims == ("input", "input2")
    assert ds.S2.sel(input="a", input2="c").item() == ds.S2.sel(input="b", input2="c").item()
    assert np.isnan(ds.S2.sel(input="a", input2="b").item())  # a group has no interaction with itself


_STUDY = """title = "correlated throughputs"
model = "maas"
priors = ["{priors}"]
samples = 2000
seed = 5
output = "profit_per_day"

[inputs.decode_tps_per_node]
dist = "uniform"
low = 4_000
high = 16_000

[inputs.prefill_tps_per_node]
dist = "uniform"
low = 20_000
high = 80_000

[inputs.gpu_hour_price]
dist = "uniform"
low = 1.0
high = 4.0

[[correlation]]
between = ["decode_tps_per_node", "prefill_tps_per_node"]
rank = 0.8

[tornado]

[sensitivity]
method = "{method}"
samples = {samples}
"""


def _study(tmp_path, deepseek_priors_path, method: str, samples: int):
    path = tmp_path / f"{method}.toml"
    path.write_text(_STUDY.format(priors=deepseek_priors_path.as_posix(), method=method, samples=samples),
                    encoding="utf-8")
    return path


def test_a_group_is_named_as_a_group_in_the_table_the_csv_the_headline_and_the_deck(tmp_path, deepseek_priors_path):
    import pptx

    from mcrisk.report.findings import headline
    from mcrisk.study.runner import run_study

    lines: list[str] = []
    run = run_study(_study(tmp_path, deepseek_priors_path, "sobol", 1024), out=tmp_path / "out",
                    formats=("pptx",), quiet=True, echo=lines.append)  # notes are printed, not warned
    sens = run.tables["sensitivity"]
    st = sens.ST.sel(input="decode_tps_per_node").item()
    assert st == sens.ST.sel(input="prefill_tps_per_node").item() > sens.ST.sel(input="gpu_hour_price").item()
    printed = "\n".join(lines)
    members = str(sens.group.sel(input="decode_tps_per_node").item())  # in the priors' order
    assert sorted(members.split(", ")) == ["decode_tps_per_node", "prefill_tps_per_node"]
    group = f"{{{members}}}"
    assert f"most influential: the group {group}, total Sobol' index {st:.2f}" in printed
    frame = pd.read_csv(tmp_path / "out" / "sensitivity.csv", keep_default_na=False)
    assert list(frame.columns[:3]) == ["input", "group", "S1"]
    assert list(frame.group) == [members] * 2 + [""]
    head = headline(run)
    assert re.search(r"top driver: the group \{[^}]+, [^}]+\}, total Sobol' index", head), head
    assert f"total Sobol' index {st:.2f} (involved in {st:.0%} of the variance)." in head
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert f"**{head}**" in report and "| input | group | S1 | ST |" in report
    assert report.count(" | {Decode throughput per node, Prefill throughput per node} | ") + report.count(
        " | {Prefill throughput per node, Decode throughput per node} | ") == 2
    deck = pptx.Presentation(str(tmp_path / "out" / "deck.pptx"))
    texts = [sh.text_frame.text for sh in deck.slides[1].shapes if sh.has_text_frame]
    assert head in texts and "Deciding group" in texts
    tornado = [sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame
               and sh.text_frame.text.startswith("Tornado")]
    assert tornado and all("one input at a time" in t for t in tornado)
    # the sensitivity slide marks the members' bars, and says a (group) bar is the whole group's index
    chart = next(sh.chart for s in deck.slides for sh in s.shapes if sh.has_chart
                 and sh.chart.plots[0].series[0].name == "ST")
    cats = list(chart.plots[0].categories)
    assert sorted(cats[:2]) == ["Decode throughput per node (group)", "Prefill throughput per node (group)"]
    assert not cats[2].endswith("(group)"), cats  # gpu_hour_price is correlated with nothing
    notes = [sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame]
    assert any("each (group) bar is the whole group's index" in t for t in notes)
    run_workbook = run_study(_study(tmp_path, deepseek_priors_path, "sobol", 1024), out=tmp_path / "wb",
                             formats=("xlsx",), quiet=True, echo=lines.append)
    book = load_workbook(tmp_path / "wb" / "workbook.xlsx", read_only=True)
    sheet = list(book["Sensitivity"].iter_rows(values_only=True))
    book.close()  # a read-only workbook holds its file open until closed
    assert sheet[1][:3] == ("Input", "Name", "Group")
    assert [row[2] for row in sheet[2:5]] == [group, group, None]  # an empty cell for an input in no group
    assert run_workbook.tables["sensitivity"].ST.sel(input="decode_tps_per_node").item() == st


def test_a_study_announces_the_switch_before_anything_runs(tmp_path, deepseek_priors_path):
    from mcrisk.study.runner import run_study

    lines: list[str] = []
    run = run_study(_study(tmp_path, deepseek_priors_path, "rbd_fast", 1000), out=tmp_path / "out",
                    formats=(), quiet=True, echo=lines.append)
    # rbd_fast's 1,000 runs become Sobol' N = 256 on 2 factors: 256 x 4 = 1,024 runs
    assert re.fullmatch(r"note: \[sensitivity\] rbd_fast assumes independent inputs and SALib's rbd_fast takes "
                        r"no groups, but the priors declare rank correlations \(decode_tps_per_node~"
                        r"prefill_tps_per_node = 0\.8\): running sobol on the groups \(\{(prefill|decode)_tps_per_node, "
                        r"(decode|prefill)_tps_per_node\}, gpu_hour_price\) instead, N = 256, 1,024 model runs, "
                        r"(under a second|about \d+ s) by a pilot", lines[0])
    assert lines[1].startswith("correlated throughputs\n")  # then the study's own output begins
    assert run.tables["sensitivity"].attrs["model_runs"] == 1024


def test_the_sensitivity_chart_names_a_group_as_a_group():
    from mcrisk.report.plot import plot_sensitivity
    from mcrisk.report.plot.style import title_of

    ds = sensitivity(_sum, _normals(1.0), output="y", method="sobol", n=2**12, rng=3)
    ax = plot_sensitivity(ds)
    s1 = ds.S1.sel(input="x1").item()
    assert title_of(ax) == f"The group {{x1, x2}} explains {s1:.0%} of the variance of y alone"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x1 (group)", "x2 (group)", "x3"]


@pytest.mark.parametrize(("method", "n", "runs"), [("sobol", 256, 1024), ("morris", 100, 300), ("fast", 100, 200),
                                                ("rbd_fast", 300, 300)])
def test_one_group_of_every_input_becomes_delta_announced(method, n, runs):
    # a and b correlated, and nothing else uncertain: the group's index would be 1 and rank
    # nothing, so the run is delta on the correlated sample, for the model runs asked for
    # (Sobol' 256 x 4, Morris 100 x 3, FAST 100 x 2, RBD-FAST 300) and at least delta's 200.
    priors = priors_from_dict({"a": {"dist": "uniform", "low": 0.0, "high": 1.0},
                               "b": {"dist": "uniform", "low": 0.0, "high": 1.0},
                               "correlation": [{"between": ["a", "b"], "rank": 0.5}]}, file="one")
    said: list[str] = []
    with warnings.catch_warnings():  # intervals too wide at these few samples: beside the point here
        warnings.simplefilter("ignore", MCRiskWarning)
        ds = sensitivity(lambda a, b: {"y": a + 2 * b}, priors, output="y", method=method, n=n, rng=0,
                         num_resamples=5, announce=said.append)
    assert re.fullmatch(r"every uncertain input is in one group of correlated inputs \(a~b = 0\.5\), whose "
                        rf"{method} index would be the whole variance and rank nothing: running delta \(one input "
                        rf"at a time, defined for dependent inputs\) instead, N = {runs:,}, {runs:,} model runs, "
                        r"(under a second|about \d+ s) by a pilot", said[0])
    assert ds.attrs["method"] == "delta" and ds.attrs["model_runs"] == runs
    assert list(ds.group.values) == ["a, b", "a, b"] and ds.attrs["indices_of"] == "inputs"
