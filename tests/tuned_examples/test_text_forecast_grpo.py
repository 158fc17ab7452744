"""The TextForecast GRPO tuned example builds a valid config (no Ray)."""

import pytest

from gridmarket.tuned_examples.text_forecast_grpo import build_config


def test_config_targets_text_forecast_and_validates():
    config = build_config("some/model", "MSFT", lr=3e-6, lora={"r": 8})
    config.validate()
    assert config.env == "gridmarket:TextForecast-v0"
    assert config.env_config["ticker"] == "MSFT"
    assert config.model_config["model"] == "some/model"
    assert config.model_config["lora"] == {"r": 8}
    with pytest.raises(ValueError, match="group_size"):
        build_config("some/model", group_size=1).validate()
