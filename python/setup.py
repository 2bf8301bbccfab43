"""Reads the package version from the one place it is written, the engine's Swift source, so
the package's metadata, ``gradswift.__version__`` and ``gs_version`` always agree."""
import re
from pathlib import Path

from setuptools import setup

SOURCE = Path(__file__).resolve().parent.parent / "Sources" / "GradSwiftCABI" / "LibraryAPI.swift"


def engine_version():
    """``major.minor.patch`` of ``let libraryVersion ... = (major, minor, patch)``."""
    match = re.search(r"^let libraryVersion\b.*= \((\d+), (\d+), (\d+)\)", SOURCE.read_text(), re.M)
    if not match:
        raise RuntimeError(f"no libraryVersion in {SOURCE}")
    return ".".join(match.groups())


setup(version=engine_version())
