"""Framework-independent part of the trajectory-balance learner."""

from __future__ import annotations

from ray.rllib.core.learner.learner import Learner

TB_LOSS_KEY = "tb_loss"
LOG_Z_KEY = "log_z"
LOG_Z_OPTIMIZER = "log_z"
POLICY_OPTIMIZER = "policy"


class TBLearner(Learner):
    """Trains P_F, P_B and log Z on complete trajectories with the TB loss.

    The policies train with ``config.lr``; log Z has its own optimizer with
    ``config.lr_logz`` (Malkin et al. 2022 use a much larger one for log Z).
    Framework subclasses implement ``compute_loss_for_module``.
    """
