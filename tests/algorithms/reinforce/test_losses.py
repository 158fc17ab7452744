"""REINFORCE loss on hand-computed numbers (no Ray)."""

import torch

from gridmarket.algorithms.reinforce.losses import (
    leave_one_out_baseline,
    reinforce_loss,
)


def test_leave_one_out_baseline_by_hand():
    returns = torch.tensor([1.0, 2.0, 6.0])
    torch.testing.assert_close(
        leave_one_out_baseline(returns), torch.tensor([4.0, 3.5, 1.5])
    )
    torch.testing.assert_close(
        leave_one_out_baseline(torch.tensor([3.0])), torch.tensor([0.0])
    )


def test_reinforce_loss_and_gradient_by_hand():
    # advantages: 1-4 = -3, 2-3.5 = -1.5, 6-1.5 = 4.5
    log_pf = torch.tensor([-1.0, -2.0, -0.5], requires_grad=True)
    loss = reinforce_loss(log_pf, torch.tensor([1.0, 2.0, 6.0]))
    torch.testing.assert_close(loss, torch.tensor(-(3.0 + 3.0 - 2.25) / 3))
    loss.backward()
    torch.testing.assert_close(log_pf.grad, torch.tensor([3.0, 1.5, -4.5]) / 3)


def test_equal_returns_give_no_gradient():
    log_pf = torch.tensor([-1.0, -2.0], requires_grad=True)
    reinforce_loss(log_pf, torch.tensor([0.7, 0.7])).backward()
    torch.testing.assert_close(log_pf.grad, torch.zeros(2))
