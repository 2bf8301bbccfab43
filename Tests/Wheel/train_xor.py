"""Run by `make wheel-test` with the Python of a fresh virtual environment where only NumPy and
the built wheel are installed, from outside the checkout and with the Swift toolchain hidden:
gradswift must import from the environment, use the library and BLAS inside its package, and
train XOR."""
import os
import sys

import numpy as np

import gradswift as gs
from gradswift import nn

package = os.path.dirname(os.path.realpath(gs.__file__))
assert package.startswith(os.path.realpath(sys.prefix)), f"gradswift imported from {package}, not the environment"
assert os.path.dirname(os.path.realpath(gs._lib.LIBRARY_PATH)) == package, gs._lib.LIBRARY_PATH
blas = gs.config.blas_info()["library"]
assert blas and blas.startswith(os.path.join(package, ".libs")), f"BLAS from {blas}"
with open("/proc/self/maps") as maps:
    assert "libswift" not in maps.read(), "a Swift runtime library is loaded"

gs.manual_seed(0)
x = gs.Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
y = gs.Tensor(np.array([[0], [1], [1], [0]], dtype=np.float32))
model = nn.Sequential(nn.Linear(2, 8, dtype=np.float32), nn.Tanh(), nn.Linear(8, 1, dtype=np.float32), nn.Sigmoid())
optimizer = gs.optim.Adam(model.parameters(), lr=0.05)
loss_fn = nn.MSELoss()
for step in range(500):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"wheel: gradswift {gs.__version__} from {package}; BLAS {blas}; XOR loss {loss.item():.5f}")
assert loss.item() < 0.01, loss.item()
assert np.array_equal(model(x).numpy().round().ravel(), [0, 1, 1, 0])
