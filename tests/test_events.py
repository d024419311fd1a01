"""The one event grammar: every spelling, the old ones too, parses to the same frozen Event."""

import numpy as np
import pytest

from mcrisk import SpecError
from mcrisk.core.events import LOSS, Event, event_words, loss_below, parse_event
from mcrisk.spec.decision_tables import parse_target
from mcrisk.spec.precision_text import PRECISION_STATISTICS
from mcrisk.spec.discovery_tables import check_scenarios
from mcrisk.spec.sensitivity_table import check_config

FIELDS = {"output": "profit_per_day", "outputs": ("profit_per_day", "gross_margin"), "uncertain": ("a",)}


@pytest.mark.parametrize(("text", "event"), [
    ("< 0", Event(None, "<", 0.0)),
    ("  >1.5e6 ", Event(None, ">", 1.5e6)),
    ("<= -2_000", Event(None, "<=", -2000.0)),
    ("gross_margin >= 0.5", Event("gross_margin", ">=", 0.5)),
    ("profit_per_day<0", Event("profit_per_day", "<", 0.0)),
])
def test_every_form_parses(text, event) -> None:
    assert parse_event(text) == event
    assert parse_event(event.text) == event  # written back, read again: the same event


@pytest.mark.parametrize("text", ["= 0", "< zero", "< inf", "profit <", "0 < profit", "", 0, None])
def test_a_bad_event_is_one_line_naming_where_key_and_value(text) -> None:
    with pytest.raises(SpecError) as err:
        parse_event(text, "s.toml: [scenarios]")
    message = str(err.value)
    assert message.startswith("s.toml: [scenarios] event = ") and "\n" not in message
    assert message.endswith('must be "< x", "> x", "OUTPUT < x" or "OUTPUT > x" (also <=, >=) with a finite '
                            'number x ("< 0": a loss), optionally with its unit ("< 1.5e6 CNY/month")')


def test_the_event_happens_elementwise() -> None:
    y = np.array([-1.0, 0.0, 2.0, np.nan])
    assert parse_event("< 0").happens(y).tolist() == [True, False, False, False]
    assert parse_event(">= 0").happens(y).tolist() == [False, True, True, False]


def test_the_old_spellings_are_the_same_events() -> None:
    # [sensitivity] loss_below = x is "< x"; event = "< x" there too; a precision's p_loss is LOSS
    assert loss_below(0) == LOSS == parse_event("< 0")
    with_old = check_config({"loss_below": 2.5}, where="s.toml: [sensitivity]", default_output="profit_per_day")
    with_new = check_config({"event": "< 2.5"}, where="s.toml: [sensitivity]", default_output="profit_per_day")
    assert with_old.event == with_new.event == Event(None, "<", 2.5)
    assert PRECISION_STATISTICS["p_loss"] == ("p_below_zero", True)
    # a [solve] target holds the event inside P(...)
    t = parse_target("P(profit_per_day < 0) <= 0.1")
    assert t.event == Event("profit_per_day", "<", 0.0) and t.text == "P(profit_per_day < 0) <= 0.1"
    assert parse_target("P( gross_margin>=0.5 ) >= 0.9").event == Event("gross_margin", ">=", 0.5)
    # [scenarios] takes the output from the event when the table names none
    cfg = check_scenarios({"event": "gross_margin < 0.1"}, "s.toml", FIELDS)
    assert (cfg.output, cfg.event.condition, cfg.operator, cfg.threshold) == ("gross_margin", "< 0.1", "<", 0.1)


def test_both_spellings_at_once_are_refused() -> None:
    with pytest.raises(SpecError, match=r"^s.toml: \[sensitivity\] loss_below = 1 cannot be given with event = "
                                        r"'< 0'; loss_below = x is event = \"< x\"$"):
        check_config({"loss_below": 1, "event": "< 0"}, where="s.toml: [sensitivity]", default_output="y")
    with pytest.raises(SpecError, match=r"^s.toml: \[sensitivity\] loss_below = 'x' must be a finite number"):
        check_config({"loss_below": "x"}, where="s.toml: [sensitivity]", default_output="y")


def test_event_words() -> None:
    assert event_words(LOSS, "profit_per_day") == "loss"
    assert event_words(parse_event("> 0"), "gross_margin") == "profit"
    assert event_words(parse_event("revenue_per_day < 1e5")) == "revenue < 100000"
    assert event_words(parse_event("<= 0"), "profit_per_day") == "profit <= 0"
