"""setup.py - builds the `rise` package with rise's C library inside it.

The library (librise.so, CMake target rise_shared) is taken from, in order: the
RISE_LIBRARY environment variable; the checkout's build folder (../build/librise.so);
else it is built there with CMake (extra configure arguments from RISE_CMAKE_ARGS, e.g.
"-DRISE_CUDA=OFF"). It is copied into the package, so an installed `rise` needs no
environment variable. Metadata lives in pyproject.toml.
"""
import os
import shlex
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def find_or_build_library():
    env = os.environ.get("RISE_LIBRARY")
    if env:
        if not os.path.exists(env):
            raise SystemExit("RISE_LIBRARY=%s: no such file" % env)
        return env
    if not os.path.exists(os.path.join(REPO, "CMakeLists.txt")):
        raise SystemExit(
            "rise: %s is not inside a rise checkout, so librise.so cannot be built; set "
            "RISE_LIBRARY to a built librise.so" % HERE)
    build = os.path.join(REPO, "build")
    lib = os.path.join(build, "librise.so")
    if not os.path.exists(lib):
        print("rise: building librise.so in %s" % build)
        extra = shlex.split(os.environ.get("RISE_CMAKE_ARGS", ""))
        subprocess.check_call(["cmake", "-S", REPO, "-B", build,
                               "-DCMAKE_BUILD_TYPE=Release"] + extra)
        subprocess.check_call(["cmake", "--build", build, "--target", "rise_shared",
                               "-j%d" % (os.cpu_count() or 1)])
    return lib


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "rise", "librise.so")
        shutil.copyfile(find_or_build_library(), target)
        os.chmod(target, 0o755)


class BinaryDistribution(Distribution):
    """The package carries a compiled library: its wheel is for this platform only."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
