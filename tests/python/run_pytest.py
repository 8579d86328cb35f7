"""Runs the Python binding tests under pytest, as meson's test does.

usage: run_pytest.py TESTDIR [PYTEST-ARGS...]

Exits 77 (skip) when pytest is not importable.  When the library is built
with AddressSanitizer (METALEARN_SANITIZE contains "address"), python
must have the ASan runtime loaded before the instrumented library is
dlopen()ed: the runtime found through the compiler (METALEARN_CC) is put
in LD_PRELOAD, with leak detection off (python itself does not free
everything at exit), and pytest runs in that environment; the
subprocesses the tests start inherit it.
"""
import os
import shlex
import subprocess
import sys

SKIP = 77


def asan_runtime():
    compiler = shlex.split(os.environ.get("METALEARN_CC", "cc"))
    for name in ("libasan.so", "libclang_rt.asan-x86_64.so"):
        try:
            out = subprocess.run(compiler + ["-print-file-name=" + name],
                                 capture_output=True, text=True).stdout.strip()
        except OSError:
            continue
        if os.path.isabs(out) and os.path.exists(out):
            return out
    return None


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        __import__("pytest")
    except ImportError as e:
        print("SKIP: pytest is not importable (%s)" % e)
        return SKIP

    env = dict(os.environ)
    sanitize = env.get("METALEARN_SANITIZE", "none")
    if "address" in sanitize.split(","):
        runtime = asan_runtime()
        if runtime is None:
            print("SKIP: the library is built with AddressSanitizer and its "
                  "runtime was not found to preload into python")
            return SKIP
        if runtime not in env.get("LD_PRELOAD", ""):
            env["LD_PRELOAD"] = (runtime + " " + env.get("LD_PRELOAD", "")).strip()
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"

    # No .pytest_cache in the source tree.
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
           sys.argv[1]] + sys.argv[2:]
    return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
