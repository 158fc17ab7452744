"""Every TextForecast test writes its window cache to one temporary folder."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def text_forecast_cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("text_forecast_cache")
    old = os.environ.get("GRIDMARKET_CACHE_DIR")
    os.environ["GRIDMARKET_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("GRIDMARKET_CACHE_DIR", None)
    else:
        os.environ["GRIDMARKET_CACHE_DIR"] = old
