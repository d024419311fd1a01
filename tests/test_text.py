"""The formatter family: exact strings for tables, labels, probabilities and indices (all fast, < 0.1 s)."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from mcrisk.core.text import (MINUS, format_number, format_value, index_text, loss_words, percent_text, share_text,
                         si_number, words)


@pytest.mark.parametrize(("x", "unit", "text"), [
    (1234567.8, "USD/day", "1,234,568"),            # thousands separators, no decimals from 1000
    (-1234567.8, "USD/day", "-1,234,568"),
    (999_999_999_999_999.0, "USD", "999,999,999,999,999"),   # the last number written in full
    (1e15, "USD", "1e+15"),                          # e-notation from a quadrillion
    (-1.23456e20, "", "-1.235e+20"),
    (0.25, "1", "0.250"),                            # a share below 100: three decimals
    (12.3456, "", "12.346"),
    (1234.4, "1", "1,234"),
    (250.26, "USD", "250.3"),                        # 100 .. 1000: one decimal
    (12.345, "USD", "12.3"),                         # below 100 with a unit: three significant digits
    (0.000123, "USD", "0.000123"),
    (math.nan, "USD", "nan"),
    (math.inf, "", "inf"),
    (-math.inf, "1", "-inf"),
], ids=lambda v: repr(v) if not isinstance(v, str) else v)
def test_format_number(x, unit, text):
    assert format_number(x, unit) == text


def test_format_number_with_a_true_minus_leaves_non_finite_values_alone():
    assert format_number(-1234567.8, "USD", minus=MINUS) == "\u22121,234,568"
    assert format_number(-1.23456e20, minus=MINUS) == "\u22121.235e+20"
    assert format_number(-math.inf, minus=MINUS) == "-inf"
    assert format_number(np.float64(-0.5), "1", minus=MINUS) == "\u22120.500"


@pytest.mark.parametrize(("x", "kw", "text"), [
    (2187923, {}, "2.19M"),
    (-2187923, {}, "\u22122.19M"),                   # a true minus sign
    (1.5e12, {}, "1.5T"),
    (3.2e9, {}, "3.2B"),
    (999.4, {}, "999"),
    (999.6, {}, "1k"),                               # rounds up into the next suffix, not '1e+03'
    (12345, {"digits": 5}, "12.345k"),
    (0.0, {}, "0"),
    (0.5, {}, "0.5"),
    (0.00012, {}, "1.20e\u221204"),                  # below 0.001: e-notation
    (math.inf, {}, "inf"),
    (math.nan, {}, "nan"),
])
def test_si_number(x, kw, text):
    assert si_number(x, **kw) == text


@pytest.mark.parametrize(("x", "unit", "kw", "text"), [
    (0.25, "1", {}, "25.0%"),                        # shares as percentages
    (-0.25, "1", {}, "\u221225.0%"),
    (0.04, "1", {}, "4.00%"),                        # small shares keep three significant digits
    (5.45, "1", {}, "545.0%"),                       # a margin or ratio too: one rule for "1"
    (2187923, "USD/month", {}, "2.19M USD/month"),
    (2187923, "USD/month", {"with_unit": False}, "2.19M"),
    (5.0, "", {}, "5"),
    (-40000.0, "USD/month", {"digits": 2}, "\u221240k USD/month"),
])
def test_format_value(x, unit, kw, text):
    assert format_value(x, unit, **kw) == text


@pytest.mark.parametrize(("p", "text"), [(0.168, "16.8%"), (0.05, "5.0%"), (0.0, "0%"), (1.0, "100%"),
                                         (0.9999, "100.0%")])
def test_percent_text(p, text):
    assert percent_text(p) == text


@pytest.mark.parametrize(("p", "text"), [(0.004, "0.4%"), (0.001, "0.1%"), (0.0004, "<0.1%"), (0.0, "<0.1%")])
def test_share_text(p, text):
    assert share_text(p) == text


@pytest.mark.parametrize(("args", "kw", "text"), [
    ((0.61, 0.03), {}, "0.610 \u00b1 0.030"),
    ((0.61,), {}, "0.610"),
    ((0.61, math.nan), {}, "0.610"),                 # no interval when it is not finite
    ((math.nan, 0.1), {}, "nan"),
    ((math.inf,), {}, "nan"),
    ((-0.0123,), {}, "-0.012"),
    ((0.5, 0.25), {"digits": 2}, "0.50 \u00b1 0.25"),
])
def test_index_text(args, kw, text):
    assert index_text(*args, **kw) == text


def test_words_and_loss_words():
    assert words("gpu_hour_price") == "gpu hour price"
    assert loss_words("profit_per_day") == ("loss", "profit")
    assert loss_words("gross_margin") == ("loss", "profit")
    assert loss_words("cost_per_day") == ("cost per day < 0", "cost per day > 0")


def test_text_is_a_leaf_that_imports_no_heavy_library():
    # A subprocess, so modules other tests imported do not count (about 0.05 s).
    code = ("import sys, mcrisk.core.text\n"
            "print(sorted(m for m in ('numpy', 'xarray', 'matplotlib', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_aligned_pads_names_right_and_numbers_left_two_spaces_apart():
    from mcrisk.core.text import aligned

    rows = [["input", "unit", "S1"], ["gpu_hour_price", "USD", "0.5"], ["paid_share", "1", "0.25"]]
    assert aligned(rows, left=2, rule=True) == [
        "input           unit    S1",
        "--------------  ----  ----",
        "gpu_hour_price  USD    0.5",
        "paid_share      1     0.25",
    ]
    assert aligned([["a", "bb"], ["ccc", "d"]], left=0) == ["  a  bb", "ccc   d"]


def test_aligned_takes_a_free_text_last_column_and_ends_no_line_in_spaces():
    from mcrisk.core.text import aligned

    rows = [["family", "AIC", "parameters"], ["lognormal", "5,588.40", "median=14464.4, sigma=0.184"],
            ["normal", "5.00", "mean=1"]]
    assert aligned(rows, text_last=True) == [
        "family          AIC  parameters",
        "lognormal  5,588.40  median=14464.4, sigma=0.184",
        "normal         5.00  mean=1",
    ]


@pytest.mark.parametrize(("x", "unit", "kw", "text"), [
    (5.45, "1", {}, "545.0%"),                       # a margin, as the report's summary shows it
    (-0.396, "1", {"minus": "\u2212"}, "\u221239.6%"),
    (0.25, "", {}, "0.250"),                         # no unit given: a plain number
    (1234567.8, "USD/day", {}, "1,234,568"),
])
def test_table_number(x, unit, kw, text):
    from mcrisk.core.text import table_number

    assert table_number(x, unit, **kw) == text
