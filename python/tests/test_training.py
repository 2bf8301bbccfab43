"""A whole training loop on core ops only, as PyDyNet users write it (``w.data -= lr * w.grad``):
gradswift must follow PyDyNet 1.1 step by step and keep its handle count flat."""
import numpy as np

import gradswift

from helpers import live_handles, pdn as pydynet, reset_reference


def logistic_regression_losses(pdn, steps):
    """Losses of full-batch gradient descent on a fixed logistic-regression problem."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 20))
    y = (x @ rng.standard_normal((20, 1)) > 0).astype(np.float64)
    xt, yt = pdn.Tensor(x), pdn.Tensor(y)
    w = pdn.Tensor(np.zeros((20, 1)), requires_grad=True)
    b = pdn.Tensor(np.zeros(1), requires_grad=True)
    losses, handles = [], []
    for _ in range(steps):
        p = pdn.sigmoid(xt @ w + b)
        loss = -(yt * pdn.log(p + 1e-9) + (1 - yt) * pdn.log(1 - p + 1e-9)).mean()
        loss.backward()
        with pdn.no_grad():
            w.data -= 0.5 * w.grad
            b.data -= 0.5 * b.grad
        w.zero_grad()
        b.zero_grad()
        losses.append(loss.item())
        if pdn is gradswift:
            handles.append(live_handles())
    return losses, handles


def test_logistic_regression_follows_pydynet_step_by_step():
    reset_reference()
    ours, handles = logistic_regression_losses(gradswift, 50)
    theirs, _ = logistic_regression_losses(pydynet, 50)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert ours[-1] < 0.5 * ours[0]
    assert len(set(handles[5:])) == 1, f"live handles drift during training: {handles}"
