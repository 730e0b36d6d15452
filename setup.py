"""Build script: compiles the pure-C engine (csrc/core) and its CPython binding
(csrc/python) into the extension module ``pynn._C``.

Shipped flags are portable (no -march=native): SIMD kernels are compiled with
per-function target attributes and chosen at run time by CPU feature detection.
"""
import glob
import os
from concurrent.futures import ThreadPoolExecutor

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

sources = sorted(glob.glob("csrc/core/**/*.c", recursive=True)) + sorted(
    glob.glob("csrc/python/*.c")
)

extra_link_args = ["-lpthread", "-lm"]
extra_compile_args = ["-std=c11", "-O3", "-fno-math-errno", "-fvisibility=hidden",
                      "-Wall", "-Wno-unused-function"]
if os.environ.get("PYNN_SANITIZE"):
    # Debug builds for AddressSanitizer/UBSan runs (see tests/test_sanitizers.py).
    extra_compile_args += ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                           "-fno-omit-frame-pointer"]
    extra_link_args += ["-fsanitize=address,undefined"]


class ParallelBuildExt(build_ext):
    """Compiles the engine's ~40 C files on every core (PYNN_BUILD_JOBS to change):
    setuptools compiles one extension's sources one after another, and `pip install .`
    builds pynn from scratch every time (twice in the README's Quick start)."""

    def build_extensions(self):
        compiler = self.compiler
        jobs = int(os.environ.get("PYNN_BUILD_JOBS") or os.cpu_count() or 1)

        def compile_all(sources, output_dir=None, macros=None, include_dirs=None, debug=0,
                        extra_preargs=None, extra_postargs=None, depends=None):
            # distutils' CCompiler.compile, with the per-object loop on a thread pool
            macros, objects, extra_postargs, pp_opts, build = compiler._setup_compile(
                output_dir, macros, include_dirs, sources, depends, extra_postargs)
            cc_args = compiler._get_cc_args(pp_opts, debug, extra_preargs)

            def one(obj):
                src, ext = build[obj]
                compiler._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

            with ThreadPoolExecutor(max(1, jobs)) as pool:
                list(pool.map(one, [o for o in objects if o in build]))  # list(): re-raises
            return objects

        compiler.compile = compile_all
        super().build_extensions()


setup(
    cmdclass={"build_ext": ParallelBuildExt},
    ext_modules=[
        Extension(
            "pynn._C",
            sources=sources,
            include_dirs=["csrc/core", "csrc/python", numpy.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION"), ("_GNU_SOURCE", "1")],
            extra_compile_args=extra_compile_args,
            extra_link_args=extra_link_args,
        )
    ],
)
