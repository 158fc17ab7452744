"""TB on real Ray: training, checkpoints, env runners, DDP learners, Tune + MLflow."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch

from gridmarket.algorithms.tb import TB, TBConfig
from gridmarket.algorithms.tb.torch.tb_rl_module import LOG_PB, LOG_PF, LOG_Z
from gridmarket.algorithms.tb.trajectories import LOG_REWARD


def small_config(**training):
    defaults = {"batch_size": 8, "updates_per_iteration": 4}
    return (
        TBConfig()
        .environment("HyperGrid-v0", env_config={"ndim": 2, "height": 4})
        .training(**(defaults | training))
        .rl_module(model_config={"fcnet_hiddens": [32, 32]})
        .debugging(seed=0)
    )


def module_state(algo):
    return algo.learner_group.get_state()["learner"]["rl_module"]["default_policy"]


def test_results_report_tb_metrics(ray_session):
    algo = small_config().build_algo()
    try:
        first = algo.train()
        result = algo.train()
    finally:
        algo.stop()
    assert result["num_trajectories_sampled_lifetime"] == 64
    for key in ("tb_loss", "log_z", "log_reward_mean", "l1_distance", "log_z_error"):
        assert np.isfinite(result[key]), key
    # The exact L1 of a near-uniform sampler on the 4x4 grid is about 0.7 (a
    # degenerate or broken one gives 1.5-2.0); two iterations move it little.
    assert 0.3 < result["l1_distance"] < 1.2
    assert result["log_z_error"] == pytest.approx(
        abs(result["log_z"] - result["log_z_true"])
    )
    assert result["log_z"] != first["log_z"]  # log Z is being learned
    assert result["learners"]["default_policy"]["num_module_steps_trained"] == 32


def test_checkpoint_round_trip_restores_everything(ray_session, tmp_path):
    algo = small_config(replay_buffer_capacity=50, replay_batch_size=2).build_algo()
    try:
        for _ in range(3):
            algo.train()
        algo.save_to_path(tmp_path)
        saved_modules = module_state(algo)
        saved_optim = algo.learner_group.get_state()["learner"]["optimizer"]
        saved_replay = algo._replay.get_state()
    finally:
        algo.stop()
    restored = TB.from_checkpoint(tmp_path)
    try:
        for name, value in module_state(restored).items():
            np.testing.assert_array_equal(value, saved_modules[name], err_msg=name)
        assert "log_z" in saved_modules
        optim = restored.learner_group.get_state()["learner"]["optimizer"]
        for name in ("default_policy_policy", "default_policy_log_z"):
            saved_steps = saved_optim[name]["state"]["state"]
            assert saved_steps, name
            for param_id, state in optim[name]["state"]["state"].items():
                np.testing.assert_array_equal(
                    state["exp_avg"], saved_steps[param_id]["exp_avg"]
                )
        replay = restored._replay.get_state()
        np.testing.assert_array_equal(
            replay["data"]["traj_len"], saved_replay["data"]["traj_len"]
        )
        assert restored._trajectories_sampled == 96
        assert restored.iteration == 3
        result = restored.train()
        assert result["training_iteration"] == 4 and np.isfinite(result["tb_loss"])
        assert result["num_trajectories_sampled_lifetime"] == 128
    finally:
        restored.stop()


def test_remote_env_runners(ray_session):
    algo = (
        small_config(updates_per_iteration=3)
        .env_runners(num_env_runners=2)
        .build_algo()
    )
    try:
        result = algo.train()
        assert result["num_trajectories_sampled_lifetime"] == 24
        assert result["env_runners"]["num_episodes"] == 24
        # Weights reach the remote runners after the update.
        weights = algo.env_runner_group.foreach_env_runner(
            lambda runner: runner.module.log_z.item(), local_env_runner=False
        )
        learner_log_z = float(module_state(algo)["log_z"])
        assert weights == pytest.approx([learner_log_z] * 2)
    finally:
        algo.stop()


def test_two_ddp_learners_stay_in_sync(ray_session):
    algo = small_config().learners(num_learners=2).build_algo()
    try:
        result = algo.train()
        states = algo.learner_group.foreach_learner(
            lambda learner: {
                k: v.detach().cpu().numpy()
                for k, v in learner.module["default_policy"].state_dict().items()
            }
        )
    finally:
        algo.stop()
    assert result["num_trajectories_sampled_lifetime"] == 64  # 8 * 4 * 2 learners
    first, second = (s.get() for s in states)
    for name in first:
        np.testing.assert_allclose(first[name], second[name], err_msg=name)


@pytest.fixture
def nan_grid_id():
    """A HyperGrid whose log rewards are NaN, registered for one test only."""
    gym.register(
        "NaNGrid-v0",
        entry_point="gridmarket.envs.hypergrid.env:HyperGridEnv",
        vector_entry_point=_nan_vector_env,
    )
    try:
        yield "NaNGrid-v0"
    finally:
        del gym.registry["NaNGrid-v0"]


def test_nan_reward_is_refused(ray_session, nan_grid_id):
    algo = small_config().environment(nan_grid_id).build_algo()
    try:
        with pytest.raises(ValueError, match="non-finite log_reward"):
            algo.train()
    finally:
        algo.stop()


def _nan_vector_env(**kwargs):
    from gridmarket.envs.hypergrid.vector import HyperGridVectorEnv

    class NaNRewardGrid(HyperGridVectorEnv):
        def step(self, actions):
            obs, rewards, terminated, truncated, infos = super().step(actions)
            if "log_reward" in infos:
                infos["log_reward"] = np.full_like(infos["log_reward"], np.nan)
            return obs, rewards, terminated, truncated, infos

    return NaNRewardGrid(**kwargs)


def test_learner_refuses_non_finite_loss_and_gradients():
    learner = small_config().build_learner(
        env=gym.make("gridmarket:HyperGrid-v0", ndim=2, height=4)
    )
    module_id = next(iter(learner.module.keys()))
    fwd_out = {
        LOG_Z: torch.zeros(()),
        LOG_PF: torch.zeros(2),
        LOG_PB: torch.zeros(2),
    }
    with pytest.raises(FloatingPointError, match="non-finite TB loss nan"):
        learner.compute_loss_for_module(
            module_id=module_id,
            config=learner.config,
            batch={LOG_REWARD: torch.tensor([0.0, float("nan")])},
            fwd_out=fwd_out,
        )
    params = list(learner.module[module_id].parameters())
    grads = {p: torch.zeros_like(p) for p in params}
    assert learner.postprocess_gradients(grads)  # finite gradients pass
    grads[params[0]] = torch.full_like(params[0], float("inf"))
    with pytest.raises(FloatingPointError, match="TB gradients contain NaN or inf"):
        learner.postprocess_gradients(grads)


def test_tune_with_mlflow_sqlite(ray_session, tmp_path):
    import mlflow
    from ray import tune

    from gridmarket.mlflow_logger import BatchedMLflowLoggerCallback

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tuner = tune.Tuner(
        TB,
        param_space=small_config(lr=tune.grid_search([1e-3, 3e-3])),
        run_config=tune.RunConfig(
            storage_path=str(tmp_path / "results"),
            stop={"training_iteration": 2},
            callbacks=[
                BatchedMLflowLoggerCallback(tracking_uri=uri, experiment_name="tb-test")
            ],
            verbose=0,
        ),
    )
    grid = tuner.fit()
    assert not grid.errors
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tb-test")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2
    for run in runs:
        assert run.info.status == "FINISHED"
        assert len(client.get_metric_history(run.info.run_id, "l1_distance")) == 2
        assert float(run.data.params["lr"]) in (1e-3, 3e-3)


def test_torch_threads_unchanged_by_import():
    # Importing the algorithm must not reconfigure the caller's torch: check it in
    # a fresh interpreter, where the import really happens.
    code = (
        "import torch; torch.set_num_threads(3); "
        "import gridmarket.algorithms.tb.tb; "
        "print(torch.get_num_threads())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "3"
