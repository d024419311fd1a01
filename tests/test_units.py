"""Units: the project's spellings read right, each slip converted by its exact factor or refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcrisk import SpecError, load_study, run_study
from mcrisk.core.units import canonical, conversion, pint_units, registry, same_unit, with_pint_units


@pytest.mark.parametrize(("given", "wanted", "factor"), [
    ("tokens/s", "tokens/day", 86_400),          # a throughput per second for a per-day input
    ("USD/1K tokens", "USD/1M tokens", 1_000),   # a price per 1K tokens for a per-1M price
    ("USD/token", "USD/1M tokens", 1e6),
    ("USD/(1e6 token)", "USD/1M tokens", 1),
    ("USD/Mtok", "USD/1M tokens", 1),
    ("USD per 1M tokens", "USD/1M tokens", 1),
    ("tokens/hour", "tokens/s", 1 / 3600),
    ("tokens/day", "tokens/s", 1 / 86_400),
    ("1M tokens/day", "tokens/day", 1e6),
    ("%", "1", 0.01),
    ("GPUs", "GPUs", 1),
    ("nodes", "node", 1),
    ("USD/GPU-hour", "USD/GPU-h", 1),
    ("USD/GPU-hour", "USD/GPU-day", 24),         # hypothetical: a rent per GPU-day
], ids=lambda v: str(v))
def test_factor(given: str, wanted: str, factor: float) -> None:
    if wanted == "USD/GPU-day":  # not a spelling of the registry: GPU-day is GPU * day
        wanted = "USD/(GPU*day)"
    assert conversion(given, wanted).factor == pytest.approx(factor, rel=1e-12)


def test_exact_factors_of_the_two_classic_slips() -> None:
    # Powers of ten are rounded to 12 digits, so the factors are the exact integers.
    assert conversion("tokens/s", "tokens/day").factor == 86_400.0
    assert conversion("USD/1K tokens", "USD/1M tokens").factor == 1_000.0


def test_exchange_rate_is_the_factor_between_currencies() -> None:
    c = conversion("CNY/GPU-hour", "USD/GPU-hour", fx={"CNY": 0.139})
    assert c.factor == 0.139 and c.rates == (("CNY", 0.139),)
    assert c.describe() == "CNY/GPU-hour -> USD/GPU-hour: x 0.139, 1 CNY = 0.139 USD"
    # Both a currency and a scale: CNY per 1K tokens into USD per 1M tokens.
    assert conversion("CNY/1K tokens", "USD/1M tokens", fx={"CNY": 0.139}).factor == pytest.approx(139.0, rel=1e-12)


def test_describe_states_the_factor() -> None:
    assert conversion("tokens/s", "tokens/day").describe() == "tokens/s -> tokens/day: x 86,400"


@pytest.mark.parametrize(("text", "expected"), [
    ("tokens/day", "token/day"), ("USD/1M tokens", "USD/(1*1e6*token)"), ("CNY/GPU-hour", "CNY/GPU_hour"),
    ("nodes", "node"), ("1", "1"), ("", "1"), ("USD/1K tokens", "USD/(1*1e3*token)"), ("RMB/token", "CNY/token"),
])
def test_spellings(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_1k_is_a_thousand_not_kelvin_and_1m_is_a_million_not_molar() -> None:
    assert same_unit("USD/1K tokens", "USD/(1e3 token)") is False  # spelled differently ...
    assert conversion("USD/1K tokens", "USD/(1e3 token)").factor == 1.0  # ... but equal
    assert conversion("USD/1M tokens", "USD/(1e6 token)").factor == 1.0


def test_inconvertible_units_are_one_line_naming_both() -> None:
    with pytest.raises(SpecError) as err:
        conversion("tokens/s", "USD/1M tokens", what="s.toml: [price_output]")
    assert str(err.value) == ("s.toml: [price_output] unit 'tokens/s' cannot be converted to the model's "
                              "'USD/1M tokens': they measure different things ([token] / [time] vs "
                              "[currency_USD] / [token])")


def test_a_currency_without_a_rate_is_refused_not_nan() -> None:
    with pytest.raises(SpecError, match=r"^s.toml: \[gpu_hour_price\] unit 'CNY/GPU-hour' is in CNY but the model "
                                        r"wants 'USD/GPU-hour': add an exchange rate, \[fx\] CNY = <value of 1 CNY "
                                        r"in USD>$"):
        conversion("CNY/GPU-hour", "USD/GPU-hour", what="s.toml: [gpu_hour_price]")


def test_unknown_unit_names_itself() -> None:
    with pytest.raises(SpecError, match=r"^x: unit 'USD/1K kelvin': kelvin is not a unit mcrisk knows; units: s, "):
        conversion("USD/1K kelvin", "USD/1M tokens", what="x:")


def test_units_spelled_alike_need_no_registry(root) -> None:
    # A study in its model's units is checked by comparing spellings: pint's registry (its import
    # costs about 0.5 s) is not built.
    registry.cache_clear()
    load_study(root / "studies" / "third_party_provider.toml")
    assert registry.cache_info().currsize == 0


@pytest.mark.parametrize(("label", "parsed"), [
    ("USD/1M tokens", "USD / Mtok"), ("tokens/day", "token / day"), ("CNY/GPU-hour", "CNY / GPU_hour"),
    ("1", "dimensionless"), ("nodes", "node"), ("USD/1K tokens", "USD / ktok"), ("currency/day", None),
])
def test_pint_units_read_back(label: str, parsed: str | None) -> None:
    assert pint_units(label) == parsed
    if parsed is not None:  # what results.nc records is the same unit
        assert conversion(label, parsed).factor == 1.0


def test_results_carry_units_pint_reads(root) -> None:
    run = run_study(root / "studies" / "deepseek_545.toml", samples=4, write=False)
    ds = with_pint_units(run.results)
    for name, var in ds.data_vars.items():
        assert var.attrs["units_label"] == run.results[name].attrs["units"]
        registry().parse_units(var.attrs["units"])  # raises if pint cannot read it
    assert ds["price_output"].attrs["units"] == "USD / Mtok"
    assert run.results["price_output"].attrs["units"] == "USD/1M tokens"  # the run's own Dataset unchanged


UNITS = ["tokens/s", "tokens/hour", "tokens/day", "1M tokens/day", "1K tokens/s", "Mtok/week"]


@given(st.sampled_from(UNITS), st.sampled_from(UNITS), st.sampled_from(UNITS))
def test_factors_compose_and_invert(a: str, b: str, c: str) -> None:
    # a -> b -> c is a -> c, and b -> a undoes a -> b (to the 12 digits factors are rounded to).
    ab, bc, ac = (conversion(x, y).factor for x, y in ((a, b), (b, c), (a, c)))
    assert ab * bc == pytest.approx(ac, rel=1e-11)
    assert ab * conversion(b, a).factor == pytest.approx(1.0, rel=1e-11)
