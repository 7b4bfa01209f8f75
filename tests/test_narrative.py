"""The comparison sentence says only what the 95% intervals support."""
from __future__ import annotations

import re

from pipelines.narrative import Ratio, comparison_sentence

MEASURE = "the rate for “Informal interpreting”"


def say(*ratios: Ratio, direction: str = "neutral", reference: str = "White children") -> str:
    return comparison_sentence(ratios, MEASURE, reference, direction)


def test_a_clear_difference_above():
    text = say(Ratio("Black", 1.6, 1.1, 2.3))
    assert text == ("Compared with White children, the rate for “Informal interpreting” was higher for Black children "
                    "(rate ratio 1.6, 95% CI 1.1 to 2.3).")


def test_a_clear_difference_below():
    text = say(Ratio("Asian", 0.62, 0.45, 0.86))
    assert "was lower for Asian children (rate ratio 0.6, 95% CI 0.5 to 0.9)" in text
    assert "higher" not in text


def test_a_difference_that_may_be_chance_is_never_called_higher_even_with_a_high_point_estimate():
    text = say(Ratio("Mixed", 2.4, 0.96, 6.0))  # large estimate, but the interval includes 1
    assert "higher" not in text and "lower" not in text and "2.4" not in text
    assert "for Mixed children the difference may be chance" in text


def test_the_interval_decides_not_the_point_estimate():
    clear = say(Ratio("Black", 1.08, 1.02, 1.15))  # a small ratio whose interval excludes 1 is a difference
    chance = say(Ratio("Black", 1.9, 0.99, 3.6))
    assert "higher for Black children" in clear and "may be chance" not in clear
    assert "higher" not in chance and "may be chance" in chance


def test_too_few_to_compare():
    text = say(Ratio("Black", 1.6, 1.1, 2.3), Ratio("Other"), Ratio("Not known"))
    assert text.endswith("; too few to compare for children of other ethnic groups and children whose ethnic group "
                         "is not known.")
    assert say(Ratio("Mixed"), Ratio("Asian")) == ("Too few to compare any group with White children: "
                                                   "every group's figure is hidden or zero.")
    assert say(Ratio("Mixed", float("nan"), float("nan"), float("nan"))).startswith("Too few to compare")


def test_the_example_sentence_from_the_brief():
    text = say(Ratio("Black", 1.6, 1.1, 2.3), Ratio("Asian", 1.2, 0.8, 1.7), Ratio("Mixed", 0.9, 0.6, 1.3),
               Ratio("Other"), direction="down")
    assert text == ("Compared with White children, the rate for “Informal interpreting” was higher (worse) for Black "
                    "children (rate ratio 1.6, 95% CI 1.1 to 2.3); for Asian and Mixed children the difference may be "
                    "chance; too few to compare for children of other ethnic groups.")


def test_higher_and_lower_together_with_direction():
    ratios = (Ratio("Black", 1.6, 1.1, 2.3), Ratio("Mixed", 1.4, 1.1, 1.8), Ratio("Asian", 0.7, 0.5, 0.9))
    down = say(*ratios, direction="down")
    up = say(*ratios, direction="up")
    assert ("was higher (worse) for Black children (rate ratio 1.6, 95% CI 1.1 to 2.3) and Mixed children "
            "(rate ratio 1.4, 95% CI 1.1 to 1.8) and lower (better) for Asian children") in down
    assert "higher (better)" in up and "lower (worse)" in up


def test_a_neutral_indicator_never_says_better_or_worse():
    text = say(Ratio("Black", 1.6, 1.1, 2.3), Ratio("Asian", 0.7, 0.5, 0.9), Ratio("Mixed", 1.1, 0.8, 1.4),
               Ratio("Other"), direction="neutral")
    assert "higher for Black children" in text and "lower for Asian children" in text
    assert not re.search(r"\b(better|worse|good|bad)\b", text, re.I)


def test_no_clear_difference_says_so():
    text = say(Ratio("Black", 1.3, 0.9, 1.9), Ratio("Asian", 0.9, 0.6, 1.2), Ratio("Other"))
    assert text == ("Compared with White children, no group's rate for “Informal interpreting” was clearly different: "
                    "for Black and Asian children the difference may be chance (each 95% interval includes 1); "
                    "too few to compare for children of other ethnic groups.")


def test_figures_keep_enough_places_not_to_blur_the_finding():
    assert "95% CI 1.04 to 1.31" in say(Ratio("Black", 1.17, 1.04, 1.31))  # 1.0 to 1.3 would read as including 1
    assert "rate ratio 0.85, 95% CI 0.76 to 0.94" in say(Ratio("Black", 0.846, 0.763, 0.938))  # not 0.8 (0.8 to 0.9)
    assert "rate ratio 0.04, 95% CI 0.01 to 0.3" in say(Ratio("Black", 0.04, 0.01, 0.3))


def test_the_reference_group_is_named_as_given():
    text = say(Ratio("Black", 1.6, 1.1, 2.3), reference="all other children")
    assert text.startswith("Compared with all other children, ")


def test_nothing_to_say_without_groups():
    assert say() == ""
