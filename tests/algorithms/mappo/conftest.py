"""MAPPO's tests step contagion_v0 in Ray workers: compile its step first."""

import pytest


@pytest.fixture(autouse=True, scope="module")
def _compiled_contagion(contagion_kernels):
    return contagion_kernels
