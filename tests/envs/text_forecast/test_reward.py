"""Parsing and the reward on hand-written completions, and a property test that
no string makes them raise or leave their documented ranges."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmarket.envs.text_forecast.reward import (
    RewardWeights,
    parse_forecast,
    read_numbers,
    regex_numbers,
    score_completion,
)

TARGETS = [101.0, 102.0, 99.0, 100.0]  # last close 100, scale 2
LAST, SCALE = 100.0, 2.0


def score(text, **weights):
    return score_completion(text, TARGETS, LAST, SCALE, weights or None)


def test_exact_forecast_scores_the_maximum():
    reward, info = score(
        "<think>up then down</think><answer>101, 102, 99, 100</answer>"
    )
    # direction: 3 on the right side, the flat target day scores 1 (both flat)
    assert info["status"] == "ok" and info["forecast"] == (101, 102, 99, 100)
    assert (info["format"], info["error"], info["direction"]) == (1.0, 0.0, 1.0)
    assert reward == 2.0


def test_error_and_direction_by_hand():
    # errors 1, 0, 3, 2 -> MAE 1.5 -> nMAE 0.75; sides: right, right, wrong (103
    # above, 99 below), half (102 above, target flat)
    reward, info = score("<answer>102, 102, 102, 102</answer>")
    assert info["error"] == pytest.approx(-1.5 / 2)
    assert info["direction"] == pytest.approx((1 + 1 + 0 + 0.5) / 4)
    assert reward == pytest.approx(1 - 0.75 + 0.625)
    weighted, _ = score("<answer>102, 102, 102, 102</answer>", format=0.0, error=2.0)
    assert weighted == pytest.approx(2 * -0.75 + 0.625)


def test_huge_forecast_is_valid_and_capped():
    reward, info = score("<answer>1e300, 1e300, 1e300, 1e300</answer>")
    assert info["status"] == "ok" and info["error"] == -10.0
    assert reward == pytest.approx(1 - 10 + (1 + 1 + 0 + 0.5) / 4)


@pytest.mark.parametrize(
    "text,status",
    [
        ("I think the price will go up.", "no_numbers"),
        ("", "no_numbers"),
        ("<answer>101, 102</answer>", "too_few"),
        ("<answer>101, 102, 99, 100, 98</answer>", "too_many"),
        ("<answer>101, nan, 99, 100</answer>", "non_finite"),
        ("<answer>101, inf, 99, 100</answer>", "non_finite"),
        ("<answer>101, 1e999, 99, 100</answer>", "non_finite"),
        ("<answer>101, -102, 99, 100</answer>", "non_positive"),
        ("<answer>101, 0, 99, 100</answer>", "non_positive"),
        ("<answer>101, 102, 99", "too_few"),  # cut off mid-answer
    ],
)
def test_each_failure_has_its_defined_reward(text, status):
    reward, info = score(text)
    assert info["status"] == status
    assert (info["format"], info["error"], info["direction"]) == (0.0, -10.0, 0.0)
    assert info["forecast"] is None and reward == -10.0


@pytest.mark.parametrize(
    "text",
    [
        "Sure! Here is my forecast:\n<answer>\n101\n102\n99\n100\n</answer>\nGood luck.",
        "<answer>1, 2, 3, 4</answer> oops, corrected: <answer>101, 102, 99, 100</answer>",
        "<think>the 10-day SMA is 80.1</think>\n<answer>Day 1: 101, Day 2: 102, Day 3: 99, Day 4: 100",
        "1) 101.0 2) 102.0 3) 99.0 4) 100.0",
        "<ANSWER>101, +102, 99.0, 1e2</ANSWER>",
    ],
)
def test_extra_text_labels_and_tags_are_read(text):
    _, info = score(text)
    assert info["status"] == "ok"
    assert info["forecast"] == (101.0, 102.0, 99.0, 100.0)


def test_thousands_separators_are_not_supported():
    assert read_numbers("1,234.5") == [1.0, 234.5]
    assert parse_forecast("version2 t+1 abc12", 1).status == "ok"  # reads "1"


def test_non_string_completions_score_as_invalid():
    assert score(None)[1]["status"] == "no_numbers"
    assert score(b"<answer>101, 102, 99, 100</answer>")[1]["status"] == "ok"


def test_weights_are_checked_and_named():
    with pytest.raises(ValueError, match=r"unknown keys \['fromat'\]"):
        RewardWeights.from_mapping({"fromat": 1.0})
    with pytest.raises(ValueError, match=r"reward_weights\['error'\].*got nan"):
        RewardWeights(error=float("nan"))
    with pytest.raises(ValueError, match=r"reward_weights\['direction'\].*got -1"):
        RewardWeights(direction=-1)
    with pytest.raises(TypeError, match=r"reward_weights\['format'\] must be a number"):
        RewardWeights.from_mapping({"format": "1"})


number_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "-0", ".5", "5.", "+3", "1e-400"]),
)
list_text = st.lists(number_text, min_size=0, max_size=12).map(", ".join)
noise = st.text(max_size=80)
completion = st.one_of(
    noise,
    st.tuples(noise, list_text, noise).map(
        lambda p: f"{p[0]}<answer>{p[1]}</answer>{p[2]}"
    ),
    st.tuples(list_text, noise).map("".join),
    st.lists(
        st.sampled_from(
            ["<answer>", "</answer>", "1", ",", " ", "e", ".", "-", "nan", ":", ")"]
        ),
        max_size=30,
    ).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(text=completion, horizon=st.integers(1, 12))
def test_any_string_gets_a_defined_bounded_reward(text, horizon):
    targets = [100.0 + k for k in range(horizon)]
    weights = RewardWeights(format=0.5, error=1.0, direction=2.0, error_cap=5.0)
    reward, info = score_completion(text, targets, 100.0, 1.5, weights)
    assert math.isfinite(reward)
    assert info["format"] in (0.0, 1.0)
    assert -5.0 <= info["error"] <= 0.0 and 0.0 <= info["direction"] <= 1.0
    assert reward == pytest.approx(
        0.5 * info["format"] + info["error"] + 2.0 * info["direction"]
    )
    if info["status"] == "ok":
        assert len(info["forecast"]) == horizon
        assert all(math.isfinite(v) and v > 0 for v in info["forecast"])
    else:
        assert info["forecast"] is None and reward == -5.0


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(list_text, st.text(alphabet="0123456789.,+-eE \n", max_size=40)))
def test_fast_path_reads_the_same_numbers_as_the_regex(text):
    fast, slow = read_numbers(text), regex_numbers(text)
    assert len(fast) == len(slow)
    assert all(
        a == b or (math.isnan(a) and math.isnan(b))
        for a, b in zip(fast, slow, strict=True)
    )
