"""The ``gridmarket`` command's argument errors: each names what was wrong and
what is allowed, and exits before any work starts (no Ray, no MLflow)."""

from __future__ import annotations

import pytest

from gridmarket.cli import main, tuned_examples


def run(argv, capsys):
    """``main(argv)``'s exit code and message (SystemExit text or stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    code = exit_info.value.code
    message = code if isinstance(code, str) else capsys.readouterr().err
    return (1 if isinstance(code, str) else code), message


def test_no_command(capsys):
    code, message = run([], capsys)
    assert code == 2
    assert "the following arguments are required: command" in message


def test_unknown_command(capsys):
    code, message = run(["fly"], capsys)
    assert code == 2
    assert "invalid choice: 'fly'" in message and "'train'" in message


def test_unknown_tuned_example_lists_the_valid_ones(capsys):
    code, message = run(["train", "hypergrid_ppo"], capsys)
    assert code == 1
    assert message.startswith(
        "gridmarket train: unknown tuned example 'hypergrid_ppo'; choose one of "
    )
    assert all(name in message for name in tuned_examples())
    assert "_grid_market" not in message  # private helpers are not examples


def test_unrecognized_option_of_list(capsys):
    code, message = run(["list", "--verbose"], capsys)
    assert code == 2 and "unrecognized arguments: --verbose" in message


def test_unknown_oracles_action(capsys):
    code, message = run(["oracles", "delete"], capsys)
    assert (
        code == 2
        and "invalid choice: 'delete' (choose from 'train', 'tune')" in message
    )


def test_tuned_example_option_errors_name_the_option(capsys):
    code, message = run(["train", "hypergrid_tb", "--stop-iters", "ten"], capsys)
    assert code == 2
    assert "argument --stop-iters: invalid int value: 'ten'" in message
    code, message = run(["train", "grid_market_tb", "--scenario", "gfc-2008"], capsys)
    assert code == 2
    assert "argument --scenario: invalid choice: 'gfc-2008'" in message
    assert "'gfc-2007'" in message


def test_resume_without_a_run_says_where_it_looked(tmp_path, capsys):
    argv = ["train", "hypergrid_tb", "--resume", "--storage-path", str(tmp_path)]
    code, message = run(argv, capsys)
    assert code == 1
    assert message == (
        f"--resume: no restorable run of 'hypergrid_tb' under {tmp_path.resolve()}"
    )
    code, message = run([*argv[:3], str(tmp_path / "nope")], capsys)
    assert message.startswith("--resume: no restorable run of 'hypergrid_tb' at ")
    assert message.endswith("nope (no Tune experiment state there)")
