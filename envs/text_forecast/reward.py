"""Parse a forecast out of free text and score it. Pure Python; never raises on
model output.

The reward of a completion is a weighted sum of three components, each reported by
name in the env's ``info``:

* ``format``: 1.0 when the completion holds a valid forecast, else 0.0. Valid means
  exactly ``horizon`` numbers, all finite and > 0, read from the last
  ``<answer>...</answer>`` block (or from the text after a final unclosed
  ``<answer>``, or from the whole completion when it has no answer tag).
* ``error``: ``-min(nMAE, error_cap)``, where nMAE is the mean absolute error of the
  forecast against the true closes divided by the window's scale (the mean absolute
  daily change of its closes). ``-error_cap`` for an invalid forecast.
* ``direction``: the mean over the horizon of 1.0 when the forecast and the true
  close lie on the same side of the last observed close, 0.5 when exactly one of
  them equals it, 0.0 otherwise. 0.0 for an invalid forecast.

``reward = w_format * format + w_error * error + w_direction * direction``.

How numbers are read: decimal or scientific notation, an optional sign, and the
words ``nan``/``inf``/``infinity``; numbers that label a list item (followed by
``:`` or ``)``, as in ``Day 1: 101.2`` or ``1) 101.2``) are skipped. There are no
thousands separators: ``1,234.5`` reads as two numbers. Completions are read up to
:data:`MAX_COMPLETION_CHARS` characters.

Defined outcomes (``status`` in the info): ``ok``; ``no_numbers``; ``too_few`` and
``too_many`` (count differs from the horizon); ``non_finite`` (NaN or inf, including
overflow such as ``1e999``); ``non_positive`` (a price <= 0). Every status but ``ok``
scores ``(format, error, direction) = (0, -error_cap, 0)``. A finite but huge
forecast is valid and scores ``error = -error_cap``.

GRPO can score a batch without an env step: :func:`score_completion` takes the
window's true closes, last close and scale (all in ``WindowSet``, see ``data.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

MAX_COMPLETION_CHARS = 100_000

_ANSWER_BLOCK = re.compile(r"<answer>(.*?)</answer>", re.S | re.I)
_ANSWER_OPEN = re.compile(r"<answer>", re.I)
_NUMBER = re.compile(
    r"(?<![\w.])"  # not inside a word or another number
    r"(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)\b)"
    r"(?!\w|\.\d)"  # not followed by more of a word or number
    r"(?!\s*[:)])",  # not a list label ("Day 1:", "1)")
    re.I,
)
# Fast path: text made only of digits, signs, dots, exponents, commas and
# whitespace that splits on commas into Python floats. On such text _NUMBER finds
# exactly the same numbers (tests/envs/text_forecast/test_reward.py checks that
# the two paths agree); anything else takes the regex.
_NOT_LIST_CHARS = str.maketrans("", "", "0123456789.,+-eE \t\n\r")


@dataclass(frozen=True)
class RewardWeights:
    """Weights of the reward components, and the error cap (in units of scale)."""

    format: float = 1.0
    error: float = 1.0
    direction: float = 1.0
    error_cap: float = 10.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(
                    f"reward_weights[{f.name!r}] must be a number, got {value!r}"
                )
            if not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"reward_weights[{f.name!r}] must be finite and >= 0, got {value!r}"
                )
        if self.error_cap == 0:
            raise ValueError("reward_weights['error_cap'] must be > 0, got 0")

    @classmethod
    def from_mapping(cls, weights: Mapping[str, float] | None) -> RewardWeights:
        """Weights from a dict such as ``{"format": 0.5, "direction": 2.0}``; keys
        left out keep their defaults."""
        if weights is None:
            return cls()
        if isinstance(weights, RewardWeights):
            return weights
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(weights) - set(allowed))
        if unknown:
            raise ValueError(
                f"reward_weights has unknown keys {unknown}; allowed: {allowed}"
            )
        return cls(**dict(weights))


@dataclass(frozen=True)
class ParsedForecast:
    """What :func:`parse_forecast` read: the numbers (None unless ``ok``)."""

    status: str
    values: tuple[float, ...] | None
    count: int


def answer_text(completion: str) -> str:
    """The part of a completion that holds the answer (see the module docstring)."""
    blocks = _ANSWER_BLOCK.findall(completion)
    if blocks:
        return blocks[-1]
    opened = list(_ANSWER_OPEN.finditer(completion))
    return completion[opened[-1].end() :] if opened else completion


def read_numbers(text: str) -> list[float]:
    """The numbers written in ``text``, in order (see the module docstring)."""
    if not text.translate(_NOT_LIST_CHARS):
        try:
            return [float(piece) for piece in text.split(",")]
        except ValueError:
            pass
    return regex_numbers(text)


def regex_numbers(text: str) -> list[float]:
    """The general reader behind :func:`read_numbers`."""
    return [float(token) for token in _NUMBER.findall(text)]


def parse_forecast(completion: object, horizon: int) -> ParsedForecast:
    """Read ``horizon`` prices from a completion. Never raises on any input."""
    if isinstance(completion, bytes | bytearray):
        completion = bytes(completion).decode("utf-8", errors="replace")
    if not isinstance(completion, str):
        return ParsedForecast("no_numbers", None, 0)
    values = tuple(read_numbers(answer_text(completion[:MAX_COMPLETION_CHARS])))
    count = len(values)
    if count == 0:
        return ParsedForecast("no_numbers", None, 0)
    if count != horizon:
        return ParsedForecast("too_few" if count < horizon else "too_many", None, count)
    if not all(math.isfinite(v) for v in values):
        return ParsedForecast("non_finite", None, count)
    if min(values) <= 0.0:
        return ParsedForecast("non_positive", None, count)
    return ParsedForecast("ok", values, count)


def forecast_components(
    forecast: Sequence[float],
    targets: Sequence[float],
    last_close: float,
    scale: float,
    error_cap: float,
) -> tuple[float, float]:
    """``(error, direction)`` components of a valid forecast (see module docs)."""
    abs_err = 0.0
    hits = 0.0
    for f, y in zip(forecast, targets, strict=True):
        abs_err += abs(f - y)
        df = (f > last_close) - (f < last_close)
        dy = (y > last_close) - (y < last_close)
        hits += 1.0 if df == dy else (0.5 if df == 0 or dy == 0 else 0.0)
    n = len(targets)
    nmae = abs_err / (n * scale)
    error = -min(nmae, error_cap) if nmae == nmae else -error_cap
    return error, hits / n


def score_completion(
    completion: object,
    targets: Sequence[float],
    last_close: float,
    scale: float,
    weights: RewardWeights | Mapping[str, float] | None = None,
) -> tuple[float, dict[str, object]]:
    """Reward of one completion and its parts.

    ``targets``: the true next ``horizon`` closes; ``last_close``: the window's last
    close; ``scale``: the window's mean absolute daily change (> 0). Returns
    ``(reward, info)`` with ``info`` holding ``format``, ``error``, ``direction``
    (the weighted components' raw values), ``status`` and ``forecast`` (a tuple of
    floats, or None when invalid).
    """
    w = (
        weights
        if isinstance(weights, RewardWeights)
        else RewardWeights.from_mapping(weights)
    )
    if not isinstance(targets, list):
        targets = targets.tolist() if hasattr(targets, "tolist") else list(targets)
    last_close, scale = float(last_close), float(scale)
    if not (scale > 0 and math.isfinite(scale) and math.isfinite(last_close)):
        raise ValueError(
            f"score_completion needs a finite last_close and scale > 0, got "
            f"last_close={last_close}, scale={scale}"
        )
    parsed = parse_forecast(completion, len(targets))
    if parsed.values is None:
        fmt, error, direction = 0.0, -w.error_cap, 0.0
    else:
        fmt = 1.0
        error, direction = forecast_components(
            parsed.values, targets, last_close, scale, w.error_cap
        )
    reward = w.format * fmt + w.error * error + w.direction * direction
    return reward, {
        "format": fmt,
        "error": error,
        "direction": direction,
        "status": parsed.status,
        "forecast": parsed.values,
    }


def format_forecast(values: Sequence[float], decimals: int = 2) -> str:
    """The completion a perfect-format agent writes: ``<answer>a, b, ...</answer>``."""
    return "<answer>" + ", ".join(f"{v:.{decimals}f}" for v in values) + "</answer>"
