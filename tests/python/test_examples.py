"""The Python examples run, so they never rot."""
import os
import re

import pytest

from conftest import ROOT, run_python

EXAMPLES = os.environ.get("METALEARN_EXAMPLES",
                          os.path.join(ROOT, "examples", "python"))


@pytest.mark.parametrize("env", [{}, {"METALEARN_NO_NUMPY": "1"}],
                         ids=["default", "no-numpy"])
def test_sine_maml(env):
    script = os.path.join(EXAMPLES, "sine_maml.py")
    r = run_python([script, "--iterations", "60", "--meta-batch", "5",
                    "--test-tasks", "5"], env)
    assert r.returncode == 0, r.stderr
    mse = {}
    for steps, value in re.findall(r"(\d+) steps? on 10 points: query MSE "
                                   r"(\d+\.\d+)", r.stdout):
        mse[int(steps)] = float(value)
    assert set(mse) == {0, 1, 10}, r.stdout
    assert "iteration    60" in r.stdout
    # A run this short says nothing about quality; the numbers must be sane.
    assert all(0 < v < 100 for v in mse.values()), r.stdout


def test_sine_maml_help():
    r = run_python([os.path.join(EXAMPLES, "sine_maml.py"), "--help"])
    assert r.returncode == 0 and "--iterations" in r.stdout
