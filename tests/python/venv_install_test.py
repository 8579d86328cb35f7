"""What a Python user does, end to end and offline: `meson install` the
library, `pip install bindings/python` into a fresh virtual environment,
run examples/python/sine_maml.py with that environment's python.

usage: venv_install_test.py BUILDDIR MESON...

The library is installed into a temporary DESTDIR and found through
LD_LIBRARY_PATH (the system loader, step 4 of metalearn/_lib.py's search);
then a copy of the package with the installed library dropped into it is
installed, and must load that copy with no variable set (step 2).  pip runs
with --no-index and without the user's pip configuration, so the test fails
if installing ever needs a package index.  Exits 77 (skip) when python's
venv module or its ensurepip is missing (Debian: python3-venv).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PACKAGE_DIR = os.path.join(ROOT, "bindings", "python")
EXAMPLE = os.path.join(ROOT, "examples", "python", "sine_maml.py")
SONAME = "libmetalearn.so.0"
SKIP = 77

# Prints where the package and the library it loaded are, as the process
# really mapped them (library_path is only a name when the system loader
# found the library).
WHERE = """
import metalearn
print("package", metalearn.__file__)
print("library_path", metalearn.library_path)
with open("/proc/self/maps") as f:
    mapped = {l.split()[-1] for l in f if "libmetalearn" in l}
print("mapped", *sorted(mapped))
"""


class Failure(Exception):
    pass


def run(cmd, env, cwd, timeout=300):
    shown = ["<%d-line script>" % a.count("\n") if "\n" in a else a for a in cmd]
    print("+", " ".join(shown), flush=True)
    r = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise Failure("%s exited with %d\n%s%s" % (cmd[0], r.returncode,
                                                   r.stdout, r.stderr))
    return r.stdout


def clean_env():
    """The environment without anything that would find the library or a
    package for the child behind the test's back."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k not in (
               "METALEARN_LIBRARY", "METALEARN_BUILD_DIR", "PYTHONPATH",
               "PYTHONHOME", "LD_LIBRARY_PATH", "VIRTUAL_ENV")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # Keeps the backend's __pycache__ out of the source tree.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def loading(env, **extra):
    """``env`` for a python that loads the library: an instrumented one
    (a sanitizer build) needs the ASan runtime loaded first."""
    env = dict(env, **extra)
    sanitize = os.environ.get("METALEARN_SANITIZE", "none")
    if "address" in sanitize.split(","):
        sys.path.insert(0, HERE)
        from run_pytest import asan_runtime
        runtime = asan_runtime()
        if runtime is None:
            raise Failure("the ASan runtime to preload was not found")
        env["LD_PRELOAD"] = runtime
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    return env


def where(python, env, cwd):
    out = run([python, "-c", WHERE], env, cwd)
    info = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        info[key] = value
    return info


def install_library(build, meson, tmp, env):
    stage = os.path.join(tmp, "stage")
    run(meson + ["install", "-C", build, "--destdir", stage, "--quiet"], env, tmp)
    for dirpath, _dirs, files in os.walk(stage):
        if SONAME in files:
            return os.path.join(dirpath, SONAME)
    raise Failure("meson install put no %s under %s" % (SONAME, stage))


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    build, meson = sys.argv[1], sys.argv[2:]
    probe = subprocess.run([sys.executable, "-c", "import ensurepip, venv"],
                           capture_output=True)
    if probe.returncode != 0:
        print("SKIP: %s has no venv/ensurepip (install python3-venv)"
              % sys.executable)
        return SKIP

    tmp = tempfile.mkdtemp(prefix="metalearn-venv-")
    try:
        env = clean_env()
        library = install_library(build, meson, tmp, env)
        libdir = os.path.dirname(library)
        venv = os.path.join(tmp, "venv")
        run([sys.executable, "-m", "venv", venv], env, tmp)
        python = os.path.join(venv, "bin", "python")
        pip = [python, "-m", "pip", "install", "--no-index", "--no-cache-dir"]

        # 1. The package from the source tree, the library from the install.
        run(pip + [PACKAGE_DIR], env, tmp)
        run_env = loading(env, LD_LIBRARY_PATH=libdir)
        info = where(python, run_env, tmp)
        if not info["package"].startswith(venv + os.sep):
            raise Failure("metalearn imported from %s, not the venv" % info["package"])
        if info["mapped"] != os.path.realpath(library):
            raise Failure("loaded %r, not the installed %s" % (info["mapped"], library))
        out = run([python, EXAMPLE, "--iterations", "20", "--meta-batch", "5",
                   "--test-tasks", "5"], run_env, tmp)
        print(out)
        mse = re.findall(r"10 steps on 10 points: query MSE (\d+\.\d+)", out)
        if len(mse) != 1 or not 0 < float(mse[0]) < 100:
            raise Failure("the example printed no sane MSE after 10 steps")

        # 2. A package carrying its own copy of the library, found next to
        # it with no variable set.
        copy = os.path.join(tmp, "package")
        shutil.copytree(PACKAGE_DIR, copy,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copyfile(library, os.path.join(copy, "metalearn", SONAME))
        run(pip + ["--force-reinstall", copy], env, tmp)
        info = where(python, loading(env), tmp)
        shipped = os.path.join(os.path.dirname(info["package"]), SONAME)
        if info["library_path"] != shipped or \
                info["mapped"] != os.path.realpath(shipped):
            raise Failure("the shipped library was not used: %s" % info)
    except (Failure, subprocess.TimeoutExpired) as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("venv install test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
