"""One period, in words, everywhere; every threshold read as shown.

A per-month study (the third-party provider's, smaller) run end to end: no printed line, report
heading or chart text names money per day, and an event's or target's number is read per month
(divided by 30 before it meets the stored per-day values), or in the unit written after it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mcrisk.analyze.decision_run import solve_study
from mcrisk.cli.main import main
from mcrisk.core.errors import SpecError
from mcrisk.core.events import parse_event, read_event, threshold_text
from mcrisk.report.figures import figures
from mcrisk.spec.studyfile import load_study, with_table
from mcrisk.study.runner import run_study

ROOT = Path(__file__).resolve().parents[1]
#: Money per day in words or units; volumes per day ("tokens/day", "output tokens a day") are not money.
PER_DAY = re.compile(r"(?<!tokens)(?<!tokens )(?:per_day|/day|per day)", re.I)


def _study(tmp_path: Path, period_days: int = 30, extra: str = "") -> Path:
    text = (ROOT / "studies" / "third_party_provider.toml").read_text(encoding="utf-8")
    text = (text.replace("samples = 20000", "samples = 1000").replace("samples = 4096", "samples = 256")
            .replace('"../priors/', f'"{(ROOT / "priors").as_posix()}/')
            .replace("period_days = 30", f"period_days = {period_days}"))
    path = tmp_path / f"provider_{period_days}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _money_per_day(lines, names=()) -> list[str]:
    """The lines that read money per day; ``names`` (variable names a user types) are not read."""
    typed = re.compile("|".join(rf"\b{re.escape(n)}\b" for n in names)) if names else None
    return [s for s in lines if PER_DAY.search(typed.sub("NAME", s) if typed else s)]


def _figure_texts(fig) -> list[str]:
    # every text artist: titles, axis labels, tick labels, legend entries, notes
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


@pytest.fixture(scope="module")
def month_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("month")
    printed: list[str] = []
    sweep = '\n[sweep]\nlever = "price_output"\nvalues = [16, 64, 256]\n'
    run = run_study(_study(tmp, extra=sweep), out=tmp / "out", formats=("svg",), echo=printed.append)
    return run, "\n".join(printed)


def test_no_printed_line_names_money_per_day(month_run) -> None:
    run, printed = month_run
    lines = printed.splitlines()
    assert _money_per_day(lines) == []
    # and they do say the period, by label
    for line in ("Tornado of profit per month (CNY/month): each input alone at its P10 and P90; base case ",
                 "Sensitivity of profit per month: sobol, N = 256 (2,816 model runs), seed 20250209; ranked by ST",
                 "Scenarios (profit per month < CNY 0, PRIM)",
                 "Value of information (go ahead only if the expected profit per month is positive; CNY/month)",
                 "[sweep] profit per month (CNY/month) against price_output, common random numbers"):
        assert any(s.startswith(line) for s in lines), line
    assert any(s.startswith("P(profit per month < CNY 0) = ") and "there (target <= 0.1)" in s for s in lines)


def test_describe_shows_money_per_month_by_name(tmp_path, capsys) -> None:
    from mcrisk.models import maas

    assert main(["describe", str(_study(tmp_path))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert _money_per_day(lines, names=maas.outputs) == []
    assert _money_per_day(lines) != []  # the names themselves are there, as the user types them
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in lines
            if line.startswith("  ") and len(line.split()) > 2}
    assert rows["profit_per_day"] == ["CNY/month", "revenue minus cost per month"]
    assert rows["cost_per_day"] == ["CNY/month", "cost of the fleet per month"]
    assert rows["list_revenue"] == ["CNY/month", "revenue if every token were billed at list price"]
    assert rows["input_tokens"][0] == "tokens/day" and rows["cost_per_million_output_tokens"][0] == "CNY/1M"
    assert ("Money is shown per month (period_days = 30), as the run shows it; the names stay as the "
            "model spells them, and a number typed for one is read per month.") in lines
    assert any(s.startswith("The study analyses profit_per_day (profit per month). It sets 18 inputs") for s in lines)
    # a per-day study reads as before
    assert main(["describe", str(_study(tmp_path, period_days=1))]) == 0
    day = capsys.readouterr().out.splitlines()
    assert next(s for s in day if s.startswith("  profit_per_day ")).split(None, 2)[1:] == [
        "CNY/day", "revenue minus cost per day"]
    assert not any(s.startswith("Money is shown") for s in day)
    assert any(s.startswith("The study analyses profit_per_day. It sets 18 inputs") for s in day)


def test_no_report_heading_or_table_names_money_per_day(month_run) -> None:
    run, _ = month_run
    md = (run.out / "report.md").read_text(encoding="utf-8")
    body = md.split("## Sources")[0].split("\n", 3)[3]  # the study's own description and citations are its author's
    ours = [s for s in body.splitlines() if not s.startswith("![") and not s.startswith(run.study.description[:40])]
    assert _money_per_day(ours) == []
    headings = [s for s in md.splitlines() if s.startswith("## ")]
    assert "## Sensitivity of profit per month (sobol)" in headings
    assert "## Solve: P(profit per month < CNY 0) <= 0.1" in headings
    assert "- Money is stated per month: 30 × the model's daily values (results.nc keeps those)." in md


def test_the_assumptions_table_shows_each_study_key(month_run) -> None:
    run, _ = month_run
    md = (run.out / "report.md").read_text(encoding="utf-8")
    table = md.split("## Assumptions")[1].split("##")[0].strip().splitlines()
    assert table[0] == "| input | key | distribution | unit | source | note |"
    rows = {r.split(" | ")[1]: r.split(" | ")[0].lstrip("| ") for r in table[2:]}
    assert set(rows) == set(run.study.priors)
    assert rows["decode_tps_per_node"] == "Decode throughput per node"
    assert rows["gpu_hour_price"] == "GPU-hour price"


def test_no_chart_text_names_money_per_day(month_run) -> None:
    run, _ = month_run
    figs = figures(run)
    assert {"distribution", "tornado", "sensitivity", "scenarios_box", "sweep", "voi"} <= {f.name for f in figs}
    for f in figs:
        assert _money_per_day(_figure_texts(f.figure)) == [], f.name
    box = next(f for f in figs if f.name == "scenarios_box").figure.axes[0]
    assert [t.get_text() for t in box.get_legend().get_texts()] == ["no loss", "loss"]


def test_plot_functions_take_the_period(month_run) -> None:
    # called from Python on the run's stored (per-day) results: the period is an argument, not a global
    from mcrisk.report import plot

    run, _ = month_run
    res, tabs = run.results, run.tables
    drawn = {
        "distribution": plot.plot_distribution(res, output="profit_per_day", period_days=30),
        "exceedance": plot.plot_exceedance(res, output="profit_per_day", period_days=30),
        "convergence": plot.plot_convergence(res, output="profit_per_day", period_days=30),
        "quantiles": plot.plot_quantile_convergence(res, output="profit_per_day", period_days=30),
        "scatter": plot.plot_scatter(res, "decode_tps_per_node", output="profit_per_day", period_days=30),
        "tornado": plot.plot_tornado(tabs["tornado"], period_days=30),
        "box": plot.plot_scenario_box(res, tabs["scenarios"], period_days=30),
    }
    for name, ax in drawn.items():
        assert _money_per_day(_figure_texts(ax.figure)) == [], name
    assert drawn["distribution"].get_xlabel() == "Profit (CNY/month)"
    assert plot.plot_distribution(res, output="profit_per_day").get_xlabel() == "Profit (CNY/day)"  # as stored
    # the per-month histogram is the per-day one times 30
    y = np.asarray(res.profit_per_day.values)
    assert drawn["scatter"].collections[0].get_offsets()[:, 1].max() == pytest.approx(30 * y.max(), rel=1e-12)


# --- thresholds read as shown -----------------------------------------------------------------------

def test_a_money_threshold_in_a_per_month_study_is_per_month(tmp_path) -> None:
    month, day = _study(tmp_path), _study(tmp_path, period_days=1)
    x = 1.5e7  # CNY a month
    per_month = solve_study(month, target=f"P(profit_per_day < {x:g}) <= 0.2", write=False)
    per_day = solve_study(day, target=f"P(profit_per_day < {x / 30!r}) <= 0.2", write=False)
    fields = ("value", "ci_low", "ci_high", "achieved", "samples")
    assert [getattr(per_month, k) for k in fields] == [getattr(per_day, k) for k in fields]
    # read per day, as before, the answer is another price
    as_if_daily = solve_study(day, target=f"P(profit_per_day < {x:g}) <= 0.2", write=False)
    assert as_if_daily.value > 1.5 * per_month.value
    # with its own unit: the same reading, whatever unit it is written in
    for written in (f"{x:g} CNY/month", f"{x / 30!r} CNY/day"):
        with_unit = solve_study(month, target=f"P(profit_per_day < {written}) <= 0.2", write=False)
        assert with_unit.value == per_month.value, written


def test_percentile_and_mean_levels_are_per_month_too(tmp_path) -> None:
    month, day = _study(tmp_path), _study(tmp_path, period_days=1)
    a = solve_study(month, target="p20(profit_per_day) >= 1.5e7", write=False)
    b = solve_study(day, target=f"p20(profit_per_day) >= {1.5e7 / 30!r}", write=False)
    assert (a.value, a.ci_low, a.ci_high) == (b.value, b.ci_low, b.ci_high)
    assert a.achieved == b.achieved  # the statistic of the stored per-day values


def test_the_printed_answer_restates_the_reading(tmp_path, capsys) -> None:
    month = _study(tmp_path)
    assert main(["solve", str(month), "--target", "P(profit_per_day < 1.5e7) <= 0.2", "--out",
                 str(tmp_path / "s")]) == 0
    second = capsys.readouterr().out.splitlines()[2]
    assert second.startswith("P(profit per month < CNY 15,000,000) = 0.2 there (target <= 0.2); 1,000 samples")
    assert main(["solve", str(month), "--target", "p20(profit_per_day) >= 1.5e7", "--out",
                 str(tmp_path / "s")]) == 0
    second = capsys.readouterr().out.splitlines()[2]
    assert re.match(r"P20 of profit per month = CNY 15,\d{3},\d{3} there \(target >= CNY 15,000,000\); ", second)


def test_an_incompatible_unit_is_refused_in_one_line(tmp_path) -> None:
    month = _study(tmp_path)
    with pytest.raises(SpecError) as err:
        solve_study(month, target="P(profit_per_day < 5e4 USD/day) <= 0.2", write=False)
    # a target given to the call (mcrisk solve --target) is named by its flag
    assert str(err.value) == (
        "--target = 'P(profit_per_day < 5e4 USD/day) <= 0.2': 'USD/day' does not convert to the "
        "output's unit; allowed: the number alone (read in CNY/month) or a unit of the same kind, such as "
        "CNY/month or CNY/day")
    study = load_study(month)
    with pytest.raises(SpecError, match=r"\[scenarios\] event = '< 5 tokens/s': 'tokens/s' does not convert"):
        with_table(study, "scenarios", event="< 5 tokens/s")
    with pytest.raises(SpecError, match=r"event = '< 5 apples': unit = 'apples': apples is not a unit mcrisk knows"):
        with_table(study, "scenarios", event="< 5 apples")


def test_events_of_scenarios_and_sensitivity_are_read_per_month(tmp_path) -> None:
    study = load_study(_study(tmp_path))
    for name, key in (("scenarios", "event"), ("sensitivity", "event"), ("sensitivity", "loss_below")):
        value = 1.5e7 if key == "loss_below" else "< 1.5e7"
        table = {key: value, **({"event": None} if key == "loss_below" else {})}
        ev = getattr(with_table(study, name, **table), name).event
        assert (ev.threshold, ev.unit, ev.stored) == (1.5e7, "CNY/month", 1.5e7 / 30), (name, key)
    # the boxes' base rate is the share of stored per-day profits below 1.5e7 / 30
    run = run_study(with_table(study, "scenarios", event="< 1.5e7"), write=False, echo=lambda _: None)
    y = np.asarray(run.results.profit_per_day.values)
    boxes = run.tables["scenarios"]
    assert boxes.attrs["base_density"] == float(np.mean(y < 1.5e7 / 30))
    assert (boxes.attrs["event"], boxes.attrs["event_unit"], boxes.attrs["event_limit"]) == (
        "< 1.5e+07", "CNY/month", 5e5)


def test_the_reading_itself() -> None:
    ev = read_event(parse_event("profit_per_day >= 2_000"), unit="USD/day", period_days=7)
    assert (ev.threshold, ev.unit, ev.stored) == (2000.0, "USD/7 days", 2000 / 7)
    assert ev.words({"profit_per_day": "profit per 7 days"}) == "profit per 7 days >= USD 2,000"
    assert ev.happens(np.array([285.0, 286.0])).tolist() == [False, True]  # 2000 / 7 = 285.71
    same = read_event(parse_event("< 0.1"), unit="1", period_days=30)  # not money: unchanged
    assert (same.threshold, same.stored) == (0.1, 0.1)
    assert read_event(parse_event("< 10 %"), unit="1").stored == pytest.approx(0.1, rel=1e-12)
    assert threshold_text(0.25, "1") == "25.0%" and threshold_text(-3, "") == "-3"


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "studies").glob("*.toml")))
def test_every_shipped_threshold_reads_as_before(name) -> None:
    # thresholds of 0 are 0 per day and per month alike: no shipped study's numbers change
    study = load_study(ROOT / "studies" / name)
    events = [t.event for t in (study.scenarios, study.sensitivity) if t is not None]
    events += [study.solve.target.event] if study.solve is not None and study.solve.target.kind == "probability" else []
    for ev in events:
        assert ev.limit == ev.threshold, ev


def test_the_compare_chart_names_money_per_month(tmp_path) -> None:
    from mcrisk.report.plot import plot_compare
    from mcrisk.study.compare import compare

    path = _study(tmp_path)
    c = compare(path, path, samples=200)
    unit = str(c.table.units.sel(output=c.output).values)
    n = c.table.attrs["samples"]
    ax = plot_compare(c.table, np.broadcast_to(c.a[c.output].values, (n,)).astype(float),
                      np.broadcast_to(c.b[c.output].values, (n,)).astype(float), output=c.output, unit=unit)
    assert unit == "CNY/month" and ax.get_xlabel() == "Profit (CNY/month)"
    assert _money_per_day(_figure_texts(ax.figure)) == []


def test_a_read_event_is_restated_in_the_boxes_and_their_chart(tmp_path) -> None:
    study = with_table(load_study(_study(tmp_path)), "scenarios", event="< 1.5e7 CNY/month")
    run = run_study(study, write=False, echo=lambda _: None)
    from mcrisk.analyze.scenarios import event_words

    assert event_words(run.tables["scenarios"], {"profit_per_day": "profit per month"}) == (
        "profit per month < CNY 15,000,000")
    box = next(f for f in figures(run) if f.name == "scenarios_box").figure.axes[0]
    assert [t.get_text() for t in box.get_legend().get_texts()] == [
        "not profit per month < CNY 15,000,000", "profit per month < CNY 15,000,000"]
    # the chart draws the stated (per-month) profits: its red points are those below 1.5e7 a month
    y = 30 * np.asarray(run.results.profit_per_day.values)
    assert len(box.collections[1].get_offsets()) == int(np.sum(y < 1.5e7))
