"""maas_monthly: each month is maas, the yearly multiples and the price war, NPV, IRR and payback by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mcrisk import SpecError
from mcrisk.models import maas, maas_monthly
from mcrisk.models.cashflow import irr, npv, payback_month
from mcrisk.models.monthly_margin import BLOCK, DAYS_PER_MONTH

DS = dict(input_tokens=608e9, output_tokens=168e9, cache_hit_share=342 / 608, prefill_tps_per_node=73_700.0,
          decode_tps_per_node=14_800.0, gpu_hour_price=2.0, price_input_hit=0.14, price_input_miss=0.55,
          price_output=2.19, peak_to_avg=278 / 226.75)


@pytest.fixture
def inputs(rng) -> dict:
    n = 64
    return dict(input_tokens=rng.uniform(1e10, 1e12, n), output_tokens=rng.uniform(1e9, 2e11, n),
                cache_hit_share=rng.uniform(0, 0.8, n), prefill_tps_per_node=rng.uniform(3e4, 9e4, n),
                decode_tps_per_node=rng.uniform(5e3, 2e4, n), gpu_hour_price=rng.uniform(1, 3, n),
                peak_to_avg=rng.uniform(1, 2.5, n), price_input_hit=0.14, price_input_miss=0.55,
                price_output=2.19, headroom=rng.uniform(1, 1.5, n), offpeak_reuse=rng.uniform(0, 1, n),
                overhead_share=rng.uniform(0, 0.3, n), paid_share=rng.uniform(0.5, 1, n),
                price_cut=rng.uniform(0, 0.5, n), offpeak_token_share=rng.uniform(0, 0.5, n),
                offpeak_discount=rng.uniform(0, 0.75, n))


def test_every_month_is_maas_exactly_with_multiples_1_and_no_price_war(inputs):
    out = maas_monthly(**inputs, price_multiple_per_year=1.0, demand_multiple_per_year=1.0,
                       rent_multiple_per_year=1.0, price_war_month=37.0, price_war_cut=0.5, months=36)
    day = maas(**inputs)
    for name, daily in (("revenue", "revenue_per_day"), ("cost", "cost_per_day"), ("profit", "profit_per_day")):
        assert out[name].shape == (64, 36)
        for m in range(36):
            np.testing.assert_array_equal(out[name][:, m], day[daily] * DAYS_PER_MONTH, err_msg=f"{name} month {m + 1}")
    np.testing.assert_array_equal(out["cash"], out["profit"])  # no salvage


def test_the_yearly_multiples_move_month_13_by_one_multiple():
    base = maas_monthly(**DS, months=25)
    out = maas_monthly(**DS, months=25, demand_multiple_per_year=3.0, price_multiple_per_year=0.25,
                       rent_multiple_per_year=0.5)
    # month 13 (t = 1): tokens x3, prices x0.25 -> revenue x0.75; nodes x3 at half the rent -> cost x1.5
    np.testing.assert_allclose(out["revenue"][0, 12], 0.75 * base["revenue"][0, 12], rtol=1e-14)
    np.testing.assert_allclose(out["cost"][0, 12], 1.5 * base["cost"][0, 12], rtol=1e-14)
    # month 7 (t = 1/2): revenue x (3 x 0.25)^(1/2), month 25 (t = 2): x0.75^2
    np.testing.assert_allclose(out["revenue"][0, 6], math.sqrt(0.75) * base["revenue"][0, 6], rtol=1e-14)
    np.testing.assert_allclose(out["revenue"][0, 24], 0.75 ** 2 * base["revenue"][0, 24], rtol=1e-14)
    np.testing.assert_array_equal(out["revenue"][0, 0], base["revenue"][0, 0])  # month 1: today's values


@pytest.mark.parametrize(("war_month", "first_cut"), [(7.0, 7), (7.5, 8), (1.0, 1), (36.0, 36), (36.5, None),
                                                      (100.0, None)], ids=str)
def test_the_price_war_starts_at_its_month(war_month, first_cut):
    base = maas_monthly(**DS)
    out = maas_monthly(**DS, price_war_month=war_month, price_war_cut=0.4)
    ratio = out["revenue"][0] / base["revenue"][0]
    expected = np.where(np.arange(1, 37) >= (first_cut or 99), 0.6, 1.0)
    np.testing.assert_allclose(ratio, expected, rtol=1e-15)
    np.testing.assert_array_equal(out["cost"], base["cost"])  # a price war changes no cost


def test_npv_payback_and_totals_against_hand_sums():
    out = maas_monthly(**DS, months=36)
    p = float(out["profit"][0, 0])  # every month the same
    upfront, salvage, r = 10.5 * p, 3 * p, 0.12
    res = maas_monthly(**DS, months=36, upfront_cost=upfront, salvage_value=salvage, discount_rate=r)
    v = 1.12 ** (-1 / 12)
    hand = -upfront + p * v * (1 - v ** 36) / (1 - v) + salvage * v ** 36  # a geometric series
    np.testing.assert_allclose(res["npv"], hand, rtol=1e-12)
    assert res["payback_month"][0] == 11.0  # -10.5 p + 10 p < 0 <= -10.5 p + 11 p
    np.testing.assert_allclose(res["profit_total"], 36 * p, rtol=1e-14)
    np.testing.assert_allclose(res["cumulative_cash"][0, [0, 10, 35]], [-9.5 * p, 0.5 * p, 28.5 * p], rtol=1e-12)
    np.testing.assert_allclose(res["cash"][0, -1], 4 * p, rtol=1e-15)  # the last month's profit and salvage
    never = maas_monthly(**DS, months=36, upfront_cost=37 * p)
    assert math.isnan(never["payback_month"][0])


def test_irr_of_an_annuity_is_its_rate():
    p = float(maas_monthly(**DS)["profit"][0, 0])
    i = 0.01  # monthly: the upfront cost an annuity of 36 payments of p repays at 1% a month
    res = maas_monthly(**DS, upfront_cost=p * (1 - (1 + i) ** -36) / i)
    np.testing.assert_allclose(res["irr"], 1.01 ** 12 - 1, rtol=1e-12)
    np.testing.assert_allclose(npv(np.array([-100.0] + [0.0] * 11 + [110.0]), 0.1), 0.0, atol=1e-12)
    assert irr(np.array([-100.0] + [0.0] * 11 + [110.0]))[0] == pytest.approx(0.1, rel=1e-14)


def test_irr_with_several_sign_changes_is_the_largest_root():
    # Lorie and Savage's pump: npv(r) = -100 + 230 v - 132 v^2 with v = 1/(1 + r): roots 10% and 20%
    flows = np.zeros(25)
    flows[[0, 12, 24]] = -100, 230, -132
    assert irr(flows)[0] == pytest.approx(0.2, rel=1e-13)
    assert irr(np.r_[0.0, flows])[0] == pytest.approx(0.2, rel=1e-13)  # a month later: the same roots
    np.testing.assert_allclose(npv(np.vstack([flows, flows]), np.array([0.1, 0.2])), 0.0, atol=1e-11)
    np.testing.assert_allclose(irr(np.vstack([flows, -flows])), 0.2, rtol=1e-13)  # the sign changes no root


def test_irr_is_nan_where_the_cash_never_changes_sign():
    assert math.isnan(maas_monthly(**DS)["irr"][0])  # nothing upfront, profit every month
    assert np.isnan(irr(np.array([[0.0, 0, 0], [1.0, 2, 0], [-1.0, 0, -2]]))).all()


def test_irr_excluded_or_bracketed_without_a_walk_as_by_the_walk(monkeypatch, rng):
    from mcrisk.models import cashflow

    # -100 + b v - c v^2 (v = (1 + r)^-1): two roots for (230, 132), none for (30, 100) (30^2 < 4 100 100),
    # a double root for (230, 132.25) (15%: the grid sees no change, NaN, but no bound can exclude it)
    flows = np.zeros((3, 25))
    flows[:, 0] = -100.0
    flows[:, 12] = 230.0, 30.0, 230.0
    flows[:, 24] = -132.0, -100.0, -132.25
    np.testing.assert_array_equal(cashflow._no_root(np.ascontiguousarray(flows.T)), [False, True, False])
    # the cumulative cash forwards (-100, -70, -170) and backwards (-170, -70, -100) stays below 0 for (30, 100)
    one_sign = cashflow._one_sign(np.ascontiguousarray(flows.T), np.cumsum(flows.T, axis=0))
    np.testing.assert_array_equal(one_sign, [False, True, False])
    np.testing.assert_array_equal(np.isnan(irr(flows)), [False, True, True])
    # the benchmark's shape: upfront cost, profits, then losses (and a salvage): the same IRRs as the walk alone
    n = 3000
    months = np.arange(1, 37)
    turn = rng.uniform(2, 40, n)[:, None]
    cash = rng.uniform(1e6, 3e7, (n, 1)) * np.where(months < turn, 1.0, -rng.uniform(0.01, 2, (n, 1)))
    cash[:, -1] += rng.uniform(0, 5e7, n)
    flows = np.hstack([-rng.uniform(1e7, 6e8, (n, 1)), cash])
    fast = irr(flows)
    assert 0.2 < np.isnan(fast).mean() < 0.9  # both kinds are there
    by_month = np.ascontiguousarray(flows.T)
    excluded = cashflow._one_sign(by_month, np.cumsum(by_month, axis=0)) | cashflow._no_root(by_month)
    assert 0.05 * n < excluded.sum() < np.isnan(fast).sum()  # excluded without a walk: some of the NaNs
    monkeypatch.setattr(cashflow, "_no_root", lambda f: np.zeros(f.shape[1], dtype=bool))
    monkeypatch.setattr(cashflow, "_one_sign", lambda f, c: np.zeros(f.shape[1], dtype=bool))
    np.testing.assert_array_equal(fast, irr(flows))  # the matrix product's brackets, for every sample
    unsure = (lambda f, g, at: (np.zeros(f.shape[1], dtype=bool), np.full(f.shape[1], -1)))
    monkeypatch.setattr(cashflow, "_scan", unsure)
    np.testing.assert_array_equal(fast, irr(flows))  # the walk alone


def test_payback_month_counts_from_1():
    np.testing.assert_array_equal(payback_month(np.array([[-1.0, 0.0, 2.0], [1.0, 1, 1], [-1.0, -1, -1]])),
                                  [2.0, 1.0, np.nan])


def test_blocks_change_no_number(rng):
    n = BLOCK + 5
    ins = {k: v * rng.uniform(0.5, 1.5, n) for k, v in DS.items()}
    ins.update(demand_multiple_per_year=rng.uniform(1, 8, n), price_multiple_per_year=rng.uniform(0.05, 1, n),
               price_war_month=rng.uniform(1, 40, n), price_war_cut=0.3, upfront_cost=rng.uniform(0, 5e8, n),
               discount_rate=0.1)
    whole = maas_monthly(**ins)
    tail = maas_monthly(**{k: (v[-5:] if np.ndim(v) else v) for k, v in ins.items()})
    for k, v in tail.items():
        np.testing.assert_array_equal(whole[k][-5:], v, err_msg=k)


@pytest.mark.parametrize(("options", "message"), [
    ({"months": 0}, "months = 0 must be a whole number of months from 1 to 1200"),
    ({"months": 2.5}, "months = 2.5 must be a whole number of months from 1 to 1200"),
    ({"days_per_month": -1}, "days_per_month = -1 must be a positive number of days"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(SpecError, match=f"^{message}$"):
        maas_monthly(**DS, **options)


def test_a_century_of_months_gives_roots_without_a_warning(rng):
    """1,200 months of the benchmark's shape, demand up to 10x a year: partial sums overflow at high v
    (filterwarnings = error would fail on the warning); every IRR returned is a root, its NPV 0 to the
    rounding of the terms' sum (a sum of 1,201 terms: at most about 1e-13 of it)."""
    n = 400
    out = maas_monthly(**DS, months=1200, upfront_cost=rng.uniform(1e7, 6e8, n),
                       price_multiple_per_year=rng.uniform(0.03, 1, n), demand_multiple_per_year=rng.uniform(1, 10, n),
                       rent_multiple_per_year=rng.uniform(0.5, 1.4, n), price_war_month=rng.uniform(1, 48, n),
                       price_war_cut=rng.uniform(0, 0.6, n), salvage_value=5e7, discount_rate=0.1)
    flows = np.column_stack([out["cumulative_cash"][:, 0] - out["cash"][:, 0], out["cash"]])
    found = np.isfinite(out["irr"])
    assert 0.2 < found.mean() < 0.8  # roots and no roots
    rate, flows = out["irr"][found], flows[found]
    scale = (np.abs(flows) * ((1 + rate[:, None]) ** (-np.arange(1201) / 12))).sum(axis=1)
    assert (np.abs(npv(flows, rate)) <= 1e-12 * scale).all()
