"""TextForecast-v0: forecast the next closes of a StockNet stock from a text prompt.

Pure parts (``data``, ``features``, ``prompts``, ``reward``, ``baselines``) import
numpy, TA-Lib and scikit-learn but not gymnasium; ``env`` and ``tokenized`` are the
Gymnasium adapters. This ``__init__`` imports nothing, so ``from
gridmarket.envs.text_forecast import reward`` stays light.
"""
