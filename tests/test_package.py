"""The installed package: namespace layout, listed packages, console command."""

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import gridmarket

#: The console script installed next to this interpreter (works unactivated).
GRIDMARKET = str(Path(sys.executable).with_name("gridmarket"))

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = {
    "core": "gridmarket",
    "envs": "gridmarket.envs",
    "algorithms": "gridmarket.algorithms",
    "oracles": "gridmarket.oracles",
    "tuned_examples": "gridmarket.tuned_examples",
}


def test_every_package_directory_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
            "packages"
        ]
    )
    found = set()
    for folder, namespace in TOP_LEVEL.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([namespace, *relative.parts]))
    assert found == listed


def test_no_folder_in_the_repository_root_shadows_the_package():
    # Run from the root, `import gridmarket` would find ./gridmarket before the
    # installed package, and that folder lacks the mapped subpackages (envs, ...).
    assert not (ROOT / "gridmarket").exists()
    code = (
        "import gridmarket.envs, gridmarket.algorithms.tb; print(gridmarket.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert out.stdout.strip().endswith("__init__.py")


def test_no_generic_top_level_names_are_importable():
    code = "import importlib.util as u; print(u.find_spec('envs'), u.find_spec('algorithms'))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
        check=True,
    )
    assert out.stdout.strip() == "None None"


def test_version_and_registered_ids():
    import gymnasium as gym

    assert gridmarket.__version__
    ids = {spec.id for spec in gridmarket.GYMNASIUM_ENVS}
    assert ids >= {"HyperGrid-v0", "GridMarket-v0", "BankContagion-v0"}
    assert ids <= set(gym.registry)


@pytest.mark.parametrize("spec", gridmarket.GYMNASIUM_ENVS, ids=lambda s: s.id)
def test_every_registered_id_makes_resets_steps_and_passes_check_env(spec):
    import gymnasium as gym
    from gymnasium.utils.env_checker import check_env

    for env_id in (spec.id, f"gridmarket:{spec.id}"):  # plain and module-qualified
        env = gym.make(env_id)
        obs, info = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        env.action_space.seed(0)
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        assert isinstance(float(reward), float) and np.isfinite(reward)
        assert isinstance(terminated, bool) and isinstance(truncated, bool)
        env.close()
    check_env(gym.make(spec.id).unwrapped, skip_render_check=True)
    if spec.vector_entry_point:
        vector = gym.make_vec(
            spec.id, num_envs=3, vectorization_mode="vector_entry_point"
        )
        obs, _ = vector.reset(seed=0)
        assert vector.num_envs == 3 and vector.observation_space.contains(obs)
        vector.close()


def test_console_list_command():
    out = subprocess.run(
        [GRIDMARKET, "list"], capture_output=True, text=True, check=True
    )
    assert (
        "HyperGrid-v0" in out.stdout
        and "hypergrid_tb" in out.stdout
        and "TB" in out.stdout
    )


def test_ruff_lint_and_format_are_clean():
    for command in (["check", "."], ["format", "--check", "."]):
        out = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stdout + out.stderr


def test_pettingzoo_modules_offer_both_apis():
    import importlib

    for spec in gridmarket.envs.PETTINGZOO_ENVS:
        module = importlib.import_module(spec.module)
        assert callable(module.env) and callable(module.parallel_env)
