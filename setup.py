"""Build script: compiles the pure-C engine (csrc/core) and its CPython binding
(csrc/python) into the extension module ``pynn._C``.

Shipped flags are portable (no -march=native): SIMD kernels are compiled with
per-function target attributes and chosen at run time by CPU feature detection.
"""
import glob
import os

import numpy
from setuptools import Extension, setup

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

setup(
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
