"""TB loss math on hand-computed numbers (no Ray)."""

import torch

from gridmarket.algorithms.tb import losses


def test_trajectory_balance_by_hand():
    log_z = torch.tensor(0.5)
    log_pf = torch.tensor([-1.0, -2.0])
    log_pb = torch.tensor([-0.5, 0.0])
    log_reward = torch.tensor([0.0, -1.0])
    # residuals: 0.5 - 1 - 0 + 0.5 = 0 ; 0.5 - 2 + 1 - 0 = -0.5
    residuals = losses.trajectory_balance_residuals(log_z, log_pf, log_pb, log_reward)
    torch.testing.assert_close(residuals, torch.tensor([0.0, -0.5]))
    loss = losses.trajectory_balance_loss(log_z, log_pf, log_pb, log_reward)
    torch.testing.assert_close(loss, torch.tensor(0.125))


def test_loss_gradient_wrt_log_z():
    # d/dlogZ mean(r^2) = 2 * mean(r) = 2 * (0 - 0.5) / 2 = -0.5
    log_z = torch.tensor(0.5, requires_grad=True)
    loss = losses.trajectory_balance_loss(
        log_z,
        torch.tensor([-1.0, -2.0]),
        torch.tensor([-0.5, 0.0]),
        torch.tensor([0.0, -1.0]),
    )
    loss.backward()
    torch.testing.assert_close(log_z.grad, torch.tensor(-0.5))


def test_sum_per_trajectory():
    values = torch.tensor([1.0, 2.0, 3.0, 4.0])
    ids = torch.tensor([0, 0, 2, 0])
    torch.testing.assert_close(
        losses.sum_per_trajectory(values, ids, 3), torch.tensor([7.0, 0.0, 3.0])
    )


def test_masked_log_softmax():
    logits = torch.tensor([[0.0, 0.0, 5.0], [1.0, 2.0, 3.0]])
    mask = torch.tensor([[True, True, False], [True, True, True]])
    out = losses.masked_log_softmax(logits, mask)
    torch.testing.assert_close(out[0, :2], torch.log(torch.tensor([0.5, 0.5])))
    assert out[0, 2] < -1e30
    torch.testing.assert_close(out[1], torch.log_softmax(logits[1], -1))
    assert torch.isfinite(out).all()
