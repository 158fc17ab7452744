"""What a user sees when a run starts: our progress lines, the summary, where the
results are, and Ray's real warnings and errors, without Ray's routine notices.

Everything here uses public configuration: Python logging levels and filters on
named loggers (in the driver, and in every Ray worker through the runtime env's
``worker_process_setup_hook``), ``ray.init(logging_level=...)``, and the
``RAY_AIR_NEW_OUTPUT`` and ``MLFLOW_LOGGING_LEVEL`` switches.
"""

from __future__ import annotations

import logging
import os

#: (logger, start of message) of notices that ask nothing of a gridmarket user.
ROUTINE_NOTICES: tuple[tuple[str, str], ...] = (
    # RLlib, once per algorithm and process: the new API stack is its default.
    ("ray.rllib.algorithms.algorithm_config", "You are running "),
    # Tune's system monitor on machines without GPUs.
    ("ray.tune.utils.util", "Install gputil for GPU system monitoring."),
    # RLlib 2.60's own RLModule.__init__ builds the deprecated RLModuleConfig for
    # every module, whatever constructor the caller used (rl_module.py, line 463):
    # PPO's modules print it too, and no user code can avoid it.
    (
        "ray._common.deprecation",
        "DeprecationWarning: `RLModule(config=[RLModuleConfig object])`",
    ),
    # Ray 2.60 turns token auth on for a local instance and says so each run.
    (
        "ray._private.authentication.authentication_token_setup",
        "Token authentication is enabled for this Ray cluster.",
    ),
)
#: Loggers whose INFO lines are bookkeeping ("Started a local Ray instance",
#: "Checkpoint successfully created", "Creating initial MLflow database tables");
#: their warnings and errors still show.
QUIET_TO_WARNING = ("ray", "mlflow")


class _DropNotice(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        # Only the exact notice: anything else, at any level, goes through.
        return not (
            record.levelno <= logging.WARNING
            and record.getMessage().startswith(self.prefix)
        )


def quiet_routine_notices() -> None:
    """Install the filters and levels in this process (idempotent)."""
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # mlflow resets levels
    for name, prefix in ROUTINE_NOTICES:
        logger = logging.getLogger(name)
        if not any(
            isinstance(f, _DropNotice) and f.prefix == prefix for f in logger.filters
        ):
            logger.addFilter(_DropNotice(prefix))
    for name in QUIET_TO_WARNING:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def quiet_ray_init_kwargs() -> dict:
    """``ray.init`` arguments that quiet the driver and every worker it starts;
    also quiets this process and Tune's banner (its verbose=0 legacy output)."""
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    quiet_routine_notices()
    return {
        "logging_level": logging.WARNING,
        "runtime_env": {"worker_process_setup_hook": quiet_routine_notices},
    }
