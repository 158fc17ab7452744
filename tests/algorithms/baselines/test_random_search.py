import numpy as np

from gridmarket.algorithms.baselines import PathBatch, RandomSearch
from gridmarket.algorithms.baselines.random_search import keep_best

CONFIG = {
    "env": "GridMarket-v0",
    "env_config": {"scenario": "synthetic-modes"},
    "batch_size": 64,
    "top_k": 10,
    "seed": 3,
}


def test_keep_best_keeps_the_top_k_sorted():
    def batch(values):
        values = np.asarray(values, dtype=float)
        return PathBatch(values[:, None, None] * np.ones((1, 2, 6)), values, -values)

    best = keep_best(batch([1, 5, 3]), batch([4, 0, 6]), k=3)
    np.testing.assert_array_equal(best.log_reward, [6, 5, 4])
    np.testing.assert_array_equal(best.states[:, 0, 0], [6, 5, 4])


def test_steps_count_oracle_calls_and_improve_the_archive():
    search = RandomSearch(config=CONFIG)
    try:
        first = search.train()
        for _ in range(4):
            last = search.train()
    finally:
        search.stop()
    assert first["oracle_calls"] == 64 and last["oracle_calls"] == 320
    assert last["top_k_log_reward_mean"] >= first["top_k_log_reward_mean"]
    assert len(search.best.log_reward) == 10


def test_checkpoint_round_trip_continues_the_same_draws(tmp_path):
    search = RandomSearch(config=CONFIG)
    search.train()
    search.save_checkpoint(str(tmp_path))
    expected = search.step()
    restored = RandomSearch(config=CONFIG | {"seed": 99})
    restored.load_checkpoint(str(tmp_path))
    assert restored.step() == expected  # same RNG state, same archive
    assert not list(tmp_path.glob("*.pkl"))
