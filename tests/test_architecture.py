"""Data flows one way: oracles <- envs <- algorithms <- core <- tuned_examples.

Every module's imports (module level and inside functions) are read with ``ast``,
resolved to gridmarket modules and checked against the order: a module may import
its own layer or a lower one, and nothing imports a tuned example (they are
leaves). Pure cores are imported in a fresh interpreter to check that no package
``__init__`` drags the heavy stack in.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Source folder -> import namespace, from pyproject's package-dir.
NAMESPACES = {
    folder: namespace
    for namespace, folder in tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "tool"
    ]["setuptools"]["package-dir"].items()
}
#: Layer of each namespace; anything else under ``gridmarket`` is core (CLI,
#: harness, evaluation, tracking, and the top-level package itself).
LAYERS = {
    "gridmarket.oracles": 0,
    "gridmarket.envs": 1,
    "gridmarket.algorithms": 2,
    "gridmarket.tuned_examples": 4,
}
CORE_LAYER = 3
LAYER_NAMES = ["oracles", "envs", "algorithms", "core", "tuned_examples"]

#: Modules that must stay free of the heavy stack, and what they must not load.
PURE_MODULES = (
    "gridmarket.envs.grid_market.core",
    "gridmarket.envs.hypergrid.core",
    "gridmarket.envs.hypergrid.exact",
    "gridmarket.envs.contagion.core",
    "gridmarket.algorithms.baselines.paths",
)
HEAVY = ("gymnasium", "pandas", "sklearn", "skops", "torch", "ray", "mlflow")


def source_modules() -> dict[str, Path]:
    """Import name -> file, for every module of the installed package."""
    modules = {}
    for folder, namespace in NAMESPACES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([namespace, *parts])] = path
    return modules


MODULES = source_modules()


def layer(module: str) -> int | None:
    """The layer of a gridmarket module; ``None`` for third-party modules."""
    for prefix, index in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return index
    if module == "gridmarket" or module.startswith("gridmarket."):
        return CORE_LAYER
    return None


def imported_modules(module: str, path: Path) -> set[str]:
    """The modules ``module`` imports; ``from a import b`` counts as ``a.b`` when
    ``a.b`` is a module of the package, else as ``a``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return found


def violations() -> set[tuple[str, str]]:
    """Every import edge against the order."""
    bad = set()
    for module, path in MODULES.items():
        for target in imported_modules(module, path):
            target_layer = layer(target)
            if target_layer is None or target == module:
                continue
            if (
                target_layer > layer(module)
                or target_layer == LAYERS["gridmarket.tuned_examples"]
            ):
                bad.add((module, target))
    return bad


def describe(edges: set[tuple[str, str]]) -> str:
    return "\n".join(
        f"  {a} ({LAYER_NAMES[layer(a)]}) imports {b} ({LAYER_NAMES[layer(b)]})"
        for a, b in sorted(edges)
    )


def test_the_scan_sees_every_layer():
    # A scan that found no modules (or no imports) would pass anything.
    seen = {layer(module) for module in MODULES}
    assert seen == {0, 1, 2, 3, 4}
    assert "gridmarket.envs.grid_market.core" in imported_modules(
        "gridmarket.envs.grid_market.env", MODULES["gridmarket.envs.grid_market.env"]
    )


def test_the_order_check_catches_upward_and_tuned_example_edges(tmp_path, monkeypatch):
    leak = tmp_path / "leak.py"
    leak.write_text(
        "import numpy\n"
        "def f():\n"
        "    from gridmarket.algorithms.tb import TB\n"  # envs -> algorithms
        "    from ..tuned_examples import hypergrid_tb\n"  # -> a tuned example
        "    from .grid_market import core\n"  # fine: its own layer
    )
    monkeypatch.setitem(MODULES, "gridmarket.envs.leak", leak)
    found = {edge for edge in violations() if edge[0] == "gridmarket.envs.leak"}
    assert found == {
        ("gridmarket.envs.leak", "gridmarket.algorithms.tb"),
        ("gridmarket.envs.leak", "gridmarket.tuned_examples.hypergrid_tb"),
    }


def test_imports_follow_oracles_envs_algorithms_core_tuned_examples():
    unexpected = violations()
    assert not unexpected, (
        "imports against the order oracles <- envs <- algorithms <- core <- "
        "tuned_examples (nothing imports a tuned example):\n" + describe(unexpected)
    )


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_do_not_load_the_heavy_stack(module):
    code = (
        f"import sys, {module}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", f"importing {module} loads {out.stdout.strip()}"


def test_import_gridmarket_registers_every_id_for_gymnasium_loaded_later():
    # `import gridmarket` does not load gymnasium, yet every id is registered the
    # moment gymnasium is imported (and at once when it already is).
    code = (
        "import sys, gridmarket\n"
        "assert 'gymnasium' not in sys.modules\n"
        "import gymnasium as gym\n"
        "ids = [s.id for s in gridmarket.GYMNASIUM_ENVS]\n"
        "print(len(ids), all(i in gym.registry for i in ids))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    count, registered = out.stdout.split()
    assert int(count) >= 3 and registered == "True"
