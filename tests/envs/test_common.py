"""The argument checks every env uses: the type, the value and what is allowed."""

import numpy as np
import pytest

from gridmarket.envs.common import (
    check_float,
    check_int,
    check_num_envs,
    check_render_mode,
)


def test_check_int():
    assert check_int("height", np.int64(8), 2) == 8
    assert type(check_int("height", np.int64(8), 2)) is int
    with pytest.raises(ValueError, match="^`height` must be >= 2, got 1$"):
        check_int("height", 1, 2)
    with pytest.raises(
        TypeError, match="^`ndim` must be an int >= 1, got True of type bool$"
    ):
        check_int("ndim", True, 1)
    with pytest.raises(
        TypeError, match=r"^`ndim` must be an int >= 1, got 2.0 of type float$"
    ):
        check_int("ndim", 2.0, 1)
    with pytest.raises(ValueError, match="^`num_envs` must be >= 1, got 0$"):
        check_num_envs(0)


def test_check_float():
    assert check_float("lr", np.float32(0.5), 0.0, 1.0) == 0.5
    with pytest.raises(ValueError, match="^`T` must be finite, got nan$"):
        check_float("T", float("nan"), 0.0, low_open=True)
    with pytest.raises(ValueError, match="^`T` must be finite, got inf$"):
        check_float("T", np.inf)
    with pytest.raises(ValueError, match="^`T` must be > 0, got 0.0$"):
        check_float("T", 0, 0.0, low_open=True)
    with pytest.raises(ValueError, match="^`penalty` must be >= 0, got -1.0$"):
        check_float("penalty", -1, 0.0)
    with pytest.raises(ValueError, match=r"^`p` must be in \[0, 1\), got 1.0$"):
        check_float("p", 1.0, 0, 1, high_open=True)
    with pytest.raises(TypeError, match="^`T` must be a float, got '1' of type str$"):
        check_float("T", "1")
    with pytest.raises(
        TypeError, match="^`T` must be a float, got False of type bool$"
    ):
        check_float("T", False)


def test_check_render_mode():
    assert check_render_mode(None, ["ansi"]) is None
    assert check_render_mode("ansi", ("ansi", "rgb_array")) == "ansi"
    with pytest.raises(
        ValueError,
        match=r"^render_mode must be one of \['ansi'\] or None, got 'human'$",
    ):
        check_render_mode("human", ["ansi"])


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            "gridmarket.envs.hypergrid.core:HyperGridParams",
            ValueError,
            "`R0` must be > 0",
        ),
        (
            "gridmarket.envs.hypergrid.env:HyperGridEnv",
            ValueError,
            "render_mode must be",
        ),
        (
            "gridmarket.envs.grid_market.env:GridMarketEnv",
            ValueError,
            "render_mode must be",
        ),
    ],
)
def test_envs_use_the_shared_checks(make, error, message):
    import importlib

    module, name = make.split(":")
    cls = getattr(importlib.import_module(module), name)
    kwargs = {"R0": 0.0} if name == "HyperGridParams" else {"render_mode": "human"}
    with pytest.raises(error, match=message):
        cls(**kwargs)


def test_lazy_exports_import_on_first_use_and_name_unknown_attributes():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import gridmarket.envs.hypergrid as h\n"
        "before = 'gridmarket.envs.hypergrid.env' in sys.modules\n"
        "env_cls = h.HyperGridEnv\n"
        "print(before, env_cls.__module__, sorted(h.__all__)[0])\n"
        "h.HyperGridAgent\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == [
        "False",
        "gridmarket.envs.hypergrid.env",
        "ExactDistribution",
    ]
    assert (
        "AttributeError: module 'gridmarket.envs.hypergrid' has no attribute "
        "'HyperGridAgent'" in out.stderr
    )
