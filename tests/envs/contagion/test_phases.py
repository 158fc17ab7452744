"""The compiled phases' constants follow the parameters they were made from."""

from __future__ import annotations

import gc
from dataclasses import replace

from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.phases import StepConstants, step_constants


def test_step_constants_follow_a_new_parameter_set_even_at_a_reused_id():
    """The cache is keyed by identity: a new ``ContagionParams`` (here one that
    may reuse the freed id of the first) gets its own numbers."""
    base = ContagionParams()
    assert (
        StepConstants(*step_constants(base)).deposit_rate == base.banking.deposit_rate
    )
    assert step_constants(base) is step_constants(base)  # cached
    seen = []
    for rate in (0.001, 0.002, 0.003, 0.004):
        params = replace(base, banking=replace(base.banking, deposit_rate=rate))
        seen.append(StepConstants(*step_constants(params)).deposit_rate)
        del params
        gc.collect()
    assert seen == [0.001, 0.002, 0.003, 0.004]
