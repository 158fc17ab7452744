import pytest

from gridmarket.algorithms.schedules import schedule_value, validate_schedule


def test_constant_and_piecewise_linear():
    assert schedule_value(0.3, 1e9) == 0.3
    spec = [[0, 1.0], [100, 0.0], [200, 0.5]]
    assert schedule_value(spec, 0) == 1.0
    assert schedule_value(spec, 50) == pytest.approx(0.5)
    assert schedule_value(spec, 150) == pytest.approx(0.25)
    assert schedule_value(spec, 10_000) == 0.5


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        (1.5, ValueError, r"`eps` values must lie in \[0.0, 1.0\], got 1.5"),
        ([[0, 0.1], [10, 2.0]], ValueError, "got 2.0"),
        (
            [[5, 0.1]],
            ValueError,
            "must start at 0 and strictly increase, got \\[5.0\\]",
        ),
        ([[0, 0.1], [0, 0.2]], ValueError, "strictly increase"),
        ([0.1, 0.2], ValueError, "list of \\[t, value\\] pairs"),
        ("0.1", TypeError, "`eps` must be a number"),
        (True, TypeError, "`eps` must be a number"),
        (float("nan"), ValueError, "got nan"),
    ],
)
def test_invalid_schedules(spec, error, message):
    with pytest.raises(error, match=message):
        validate_schedule("eps", spec, low=0.0, high=1.0)


def test_open_lower_bound():
    with pytest.raises(ValueError, match=r"values must lie in \(0.0, inf\], got 0.0"):
        validate_schedule("temperature", 0.0, low=0.0, high=float("inf"), low_open=True)
