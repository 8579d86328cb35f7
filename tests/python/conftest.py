"""Shared set-up of the Python binding tests.

Run through meson (`meson test --suite python`), which sets the
environment, or by hand:

    METALEARN_LIBRARY=$PWD/build/lib/libmetalearn.so.0 \\
        /usr/bin/python3 -m pytest -q tests/python

Environment (all set by tests/python/meson.build):
    METALEARN_LIBRARY      the shared library to test (required)
    METALEARN_C_REFERENCE  the c_reference program (test_reference.py)
    METALEARN_INCLUDE      the include directory (header checks, cffi test)
    METALEARN_EXAMPLES     examples/python (default: found from this file)
    METALEARN_CC           the C compiler command (cffi test's `cc -E -P`)

The package under test is the source tree's bindings/python, put first on
sys.path.  Every library function is wrapped in a counter, and a full run
fails if a function of the table was never called.
"""
import collections
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PACKAGE_DIR = os.path.join(ROOT, "bindings", "python")
if sys.path[0] != PACKAGE_DIR:
    sys.path.insert(0, PACKAGE_DIR)

import metalearn  # noqa: E402  (after the path is set)
from metalearn import _lib  # noqa: E402

# ---- every wrapped call at least once ------------------------------------

CALLS = collections.Counter()


def _count_calls():
    for name, _restype, _argtypes in _lib.FUNCTIONS:
        original = getattr(_lib.lib, name)

        def counted(*args, _name=name, _fn=original):
            CALLS[_name] += 1
            return _fn(*args)

        counted.__name__ = name
        setattr(_lib.lib, name, counted)


_count_calls()


def pytest_sessionfinish(session, exitstatus):
    """After a complete, successful run without skips, fail if a C
    function of the table was never called."""
    opt = session.config.option
    whole = all(os.path.abspath(a) == HERE for a in session.config.args)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter is not None and reporter.stats.get("skipped")
    if exitstatus != 0 or not whole or opt.keyword or opt.markexpr or \
            getattr(opt, "deselect", None) or skipped:
        return
    missing = sorted(n for n, _r, _a in _lib.FUNCTIONS if CALLS[n] == 0)
    if missing:
        print("\nFAIL: never called by the tests: " + ", ".join(missing))
        session.exitstatus = 1


# ---- fixtures -------------------------------------------------------------

@pytest.fixture
def ml():
    return metalearn


@pytest.fixture
def np():
    return pytest.importorskip("numpy")


@pytest.fixture
def no_numpy(monkeypatch):
    """The package as it behaves without numpy: sequences in,
    array.array out."""
    monkeypatch.setattr(metalearn._arrays, "np", None)


@pytest.fixture
def sampler():
    with metalearn.Sampler.sine(seed=4) as s:
        yield s


@pytest.fixture
def mlp():
    with metalearn.Model.mlp(1, [40, 40, 1]) as m:
        yield m


@pytest.fixture
def learner(mlp):
    with metalearn.Learner(mlp, "maml", seed=3) as lr:
        yield lr


def library_path():
    path = os.environ.get("METALEARN_LIBRARY")
    if not path:
        pytest.skip("METALEARN_LIBRARY is not set")
    return path


def include_dir():
    inc = os.environ.get("METALEARN_INCLUDE", os.path.join(ROOT, "include"))
    if not os.path.exists(os.path.join(inc, "metalearn.h")):
        pytest.skip("metalearn.h not found (set METALEARN_INCLUDE)")
    return inc


def run_python(args, env_update=None, unset=(), cwd=None, timeout=120):
    """Runs sys.executable with ``args`` in a copy of the environment with
    the package dir on PYTHONPATH; returns the CompletedProcess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_DIR + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in unset:
        env.pop(name, None)
    env.update(env_update or {})
    return subprocess.run([sys.executable] + list(args), env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
