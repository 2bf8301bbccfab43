"""``python -m gradswift``: the version, library, BLAS, threads and CPU features of this
installation, the first thing to paste into a bug report."""
from .config import report

print(report())
