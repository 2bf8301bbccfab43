"""Second derivatives at work: Newton's method with Hessian-vector products, and a critic
trained with a gradient penalty.

1. **Newton-CG on the Rosenbrock function** f(x) = sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2
   in 10 dimensions, from x0 = 0. Each Newton step solves H d = -g by
   conjugate gradients, where every product H v is one double backward
   (``autograd.functional.hvp``): the Hessian is never formed. A backtracking line search keeps
   each step a descent. The Hessian-vector products are checked against the Hessian written out
   by hand, and the run against plain gradient descent for the same number of gradient
   evaluations.
2. **A WGAN-GP critic** (Gulrajani et al., 2017) between two 2-D Gaussians with the same
   covariance, N(mu_real, s^2 I) and N(mu_fake, s^2 I), at distance d = |mu_real - mu_fake|
   (their Wasserstein-1 distance). The critic (an MLP) maximises E D(real) - E D(fake) minus
   the penalty lambda E (|grad_x D(x_hat)| - 1)^2 at random interpolates x_hat: the penalty's
   gradient with respect to the critic's weights goes through grad_x D, a gradient of a
   gradient (``autograd.grad(..., create_graph=True)``). Here the best critic is linear along
   mu_real - mu_fake with the slope k maximising k d - lambda (k - 1)^2, k = 1 + d / (2 lambda),
   so its estimate of the distance is k d: the trained critic's slope at the interpolates and
   its estimate are checked against both within 5%.

Progress bars with tqdm, a plot with matplotlib (``--output``), figures as JSON (``--results``).
``--quick`` runs Newton-CG whole but the critic for 150 steps, checking only that its estimate rose.

This example uses what PyDyNet lacks (``autograd.grad``, ``create_graph``), so it runs on
gradswift only.
"""
import argparse
import time

import numpy as np

import gradswift as pdn
from gradswift import autograd, nn, optim
from gradswift.autograd import functional

from common import output_path, progress_bar, save_line_plots, write_results

DIMENSIONS = 10


# ---- Newton-CG on the Rosenbrock function -------------------------------------------------------
def rosenbrock(x):
    """f(x) as a gradswift scalar."""
    head, tail = x[:-1], x[1:]
    return (100 * (tail - head * head) ** 2 + (1 - head) ** 2).sum()


def rosenbrock_hessian(x):
    """The Hessian written out by hand, to check the Hessian-vector products against."""
    n = x.size
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] -= 400 * x[i]
        h[i + 1, i] -= 400 * x[i]
    return h


def value_and_gradient(values):
    """f and its gradient at ``values`` (a NumPy array)."""
    x = pdn.Tensor(values, requires_grad=True)
    f = rosenbrock(x)
    (g,) = autograd.grad(f, x)
    return f.item(), g.numpy()


def hessian_vector_product(values, v):
    """H(values) v by double backward."""
    _, product = functional.hvp(rosenbrock, pdn.Tensor(values), pdn.Tensor(v))
    return product.numpy()


def conjugate_gradient(values, g, iterations):
    """An approximate solution d of H d = -g (Steihaug's truncation: the first direction of
    negative curvature stops the iteration, with the steepest descent direction if it is the
    first)."""
    d, r = np.zeros_like(g), -g.copy()
    p = r.copy()
    for _ in range(iterations):
        hp = hessian_vector_product(values, p)
        curvature = p @ hp
        if curvature <= 0:
            return d if d.any() else -g
        alpha = (r @ r) / curvature
        d += alpha * p
        r_next = r - alpha * hp
        if np.linalg.norm(r_next) < 1e-12:
            break
        p = r_next + (r_next @ r_next) / (r @ r) * p
        r = r_next
    return d


def newton_cg(x0, steps):
    """Newton-CG iterates: (objective values, gradient evaluations so far, Hessian-vector
    products so far), one entry per step."""
    x = x0.copy()
    history = []
    gradients = products = 0
    for _ in range(steps):
        f, g = value_and_gradient(x)
        gradients += 1
        history.append((f, gradients, products))
        if np.linalg.norm(g) < 1e-10:
            break
        d = conjugate_gradient(x, g, iterations=2 * x.size)
        products += 2 * x.size
        step = 1.0
        while value_and_gradient(x + step * d)[0] > f + 1e-4 * step * (g @ d) and step > 1e-10:
            step /= 2
            gradients += 1
        x = x + step * d
    return x, history


def gradient_descent(x0, evaluations, lr=1e-3):
    """Plain gradient descent with as many gradient evaluations; its objective values."""
    x = x0.copy()
    values = []
    for _ in range(evaluations):
        f, g = value_and_gradient(x)
        values.append(f)
        x = x - lr * g
    return np.array(values)


def run_newton():
    x0 = np.zeros(DIMENSIONS)
    probe = np.random.default_rng(0).standard_normal(DIMENSIONS)
    check = np.max(np.abs(hessian_vector_product(x0, probe) - rosenbrock_hessian(x0) @ probe))
    print(f"Hessian-vector product against the hand-written Hessian: max difference {check:.2e}")
    assert check < 1e-9, "the double backward disagrees with the hand-written Hessian"

    steps = 100  # takes a tenth of a second: --quick runs it whole
    bar = progress_bar(steps, "Newton-CG")
    started = time.perf_counter()
    x, history = newton_cg(x0, steps)
    bar.update(len(history))
    bar.close()
    seconds = time.perf_counter() - started
    values = np.array([f for f, _, _ in history])
    evaluations = history[-1][1] + history[-1][2]  # gradients and Hessian-vector products
    descent = gradient_descent(x0, evaluations)
    error = np.max(np.abs(x - 1))
    print(f"Newton-CG: f = {values[-1]:.3e} after {len(history)} steps ({evaluations} gradient or "
          f"Hessian-vector evaluations, {seconds:.2f} s), |x - 1|_max = {error:.2e}; "
          f"gradient descent with as many gradients: f = {descent[-1]:.3e}")
    assert error < 1e-8, "Newton-CG did not reach the minimum (1, ..., 1)"
    assert values[-1] < descent[-1], "Newton-CG was not ahead of gradient descent"
    spent = np.array([gradients + products for _, gradients, products in history])
    return dict(newton=values, spent=spent, descent=descent, steps=len(history), error=error, hvp_check=check,
                seconds=seconds, evaluations=evaluations)


# ---- a critic with a gradient penalty ----------------------------------------------------------
MU_REAL, MU_FAKE, SPREAD, PENALTY = np.array([2.0, 1.0]), np.array([-1.0, -1.0]), 0.5, 10.0


def sample(rng, mean, count):
    return (mean + SPREAD * rng.standard_normal((count, 2))).astype(np.float32)


def run_critic(quick):
    pdn.manual_seed(0)
    rng = np.random.default_rng(0)
    critic = nn.Sequential(nn.Linear(2, 64, dtype=np.float32), nn.ReLU(), nn.Linear(64, 64, dtype=np.float32),
                           nn.ReLU(), nn.Linear(64, 1, dtype=np.float32))
    optimizer = optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    steps, batch = (150 if quick else 1500), 256
    distance = np.linalg.norm(MU_REAL - MU_FAKE)
    best_slope = 1 + distance / (2 * PENALTY)
    estimates, norms = [], []
    bar = progress_bar(steps, "critic")
    started = time.perf_counter()
    for _ in range(steps):
        real = pdn.Tensor(sample(rng, MU_REAL, batch))
        fake = pdn.Tensor(sample(rng, MU_FAKE, batch))
        mix = rng.random((batch, 1)).astype(np.float32)
        between = pdn.Tensor(mix * real.data + (1 - mix) * fake.data, requires_grad=True)
        (slope,) = autograd.grad(critic(between).sum(), between, create_graph=True)
        norm = ((slope * slope).sum(axis=1) + 1e-12) ** 0.5
        penalty = ((norm - 1) ** 2).mean()
        estimate = critic(real).mean() - critic(fake).mean()
        loss = -estimate + PENALTY * penalty
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        estimates.append(estimate.item())
        norms.append(norm.data.mean())
        bar.set_postfix(estimate=f"{estimates[-1]:.3f}", slope=f"{norms[-1]:.3f}")
        bar.update()
    bar.close()
    seconds = time.perf_counter() - started
    final = float(np.mean(estimates[-50:]))
    slope = float(np.mean(norms[-50:]))
    print(f"critic: distance estimate {final:.3f} (best critic's {best_slope * distance:.3f}; true distance "
          f"{distance:.3f}), gradient norm at interpolates {slope:.3f} (best critic's {best_slope:.3f}), "
          f"{1000 * seconds / steps:.1f} ms/step")
    if quick:
        assert estimates[-1] > estimates[0], "the critic's estimate did not rise"
    else:
        assert abs(slope - best_slope) < 0.05 * best_slope, "the critic's slope is far from the best critic's"
        assert abs(final - best_slope * distance) < 0.05 * best_slope * distance, \
            "the critic's estimate is far from the best critic's"
    return dict(estimates=np.array(estimates), norms=np.array(norms), final=final, slope=slope,
                distance=distance, best_slope=best_slope, seconds=seconds, steps=steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the critic for 150 steps only, checking that its estimate rose")
    parser.add_argument("--output", default=None, help="path of the PNG plot")
    parser.add_argument("--results", default=None, help="also write the final figures to this JSON file")
    args = parser.parse_args()

    newton = run_newton()
    critic = run_critic(args.quick)
    path = output_path(args.output, "higher_order.png")
    descent_x = np.arange(1, len(newton["descent"]) + 1)
    critic_x = np.arange(1, critic["steps"] + 1)
    panels = [
        ("Rosenbrock (10-D)", "gradient and Hessian-vector evaluations", "log10 f(x)",
         {"Newton-CG": (newton["spent"], np.log10(np.maximum(newton["newton"], 1e-30))),
          "gradient descent": (descent_x, np.log10(np.maximum(newton["descent"], 1e-30)))}),
        ("WGAN-GP critic", "step", "value",
         {"distance estimate": (critic_x, critic["estimates"]),
          "best critic's estimate": (critic_x, np.full(critic["steps"], critic["best_slope"] * critic["distance"])),
          "true distance": (critic_x, np.full(critic["steps"], critic["distance"])),
          "mean |grad D|": (critic_x, critic["norms"])}),
    ]
    if save_line_plots(path, panels, title="second derivatives in gradswift"):
        print(f"plot saved to {path}")
    write_results(args.results, data="synthetic", epochs=critic["steps"],
                  seconds_per_epoch=critic["seconds"] / critic["steps"],
                  metrics={"newton final f": newton["newton"][-1], "newton steps": newton["steps"],
                           "newton max |x - 1|": newton["error"], "descent final f": newton["descent"][-1],
                           "hvp check": newton["hvp_check"], "critic distance estimate": critic["final"],
                           "true distance": critic["distance"], "critic slope": critic["slope"],
                           "best critic slope": critic["best_slope"]},
                  history={"newton": newton["newton"], "critic estimate": critic["estimates"]})


if __name__ == "__main__":
    main()
