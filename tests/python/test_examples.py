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


def test_omniglot_protonet(tmp_path):
    """The Omniglot example on a tiny folder of PNGs in the same layout,
    written by the tools tests' helper (tests/tools/imgdata.py)."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
    from imgdata import make_omniglot
    train = make_omniglot(str(tmp_path / "train"), groups=("Alpha", "Beta"),
                          classes=4, images=4, seed=1)
    test = make_omniglot(str(tmp_path / "test"), groups=("Gamma", "Delta"),
                         classes=4, images=4, seed=2)
    r = run_python([os.path.join(EXAMPLES, "omniglot_protonet.py"), train, test,
                    "--test-groups", "Gamma", "--ways", "3", "--queries", "2",
                    "--iterations", "10", "--episodes", "5", "--test-queries", "2",
                    "--filters", "8",
                    "--blocks", "2"])
    assert r.returncode == 0, r.stderr
    assert "training on 8 classes, testing on 4 unseen ones" in r.stdout, r.stdout
    m = re.search(r"3-way 1-shot on unseen classes: accuracy (\d+\.\d+)%", r.stdout)
    assert m and 0.0 <= float(m.group(1)) <= 100.0, r.stdout


def test_learned_optimizer(tmp_path, ml, np):
    saved = tmp_path / "lstm.mlrn"
    r = run_python([os.path.join(EXAMPLES, "learned_optimizer.py"),
                    "--meta-steps", "6", "--problems", "4", "--horizon", "10",
                    "--unroll", "5", "--test-problems", "3",
                    "--save", str(saved)])
    assert r.returncode == 0, r.stderr
    assert "meta-step     6" in r.stdout, r.stdout
    final = dict(re.findall(r"  (learned LSTM|Adam) +(\d+\.\d+)", r.stdout))
    assert set(final) == {"learned LSTM", "Adam"}, r.stdout
    assert all(0 <= float(v) < 1e3 for v in final.values()), r.stdout
    # step() in the caller's own loop follows run() exactly.
    m = re.search(r"final loss (\d+\.\d+) \(run\(\): (\d+\.\d+)\)", r.stdout)
    assert m and m.group(1) == m.group(2), r.stdout
    loaded = ml.Optimizer.load(saved)
    assert loaded.kind == "lstm" and loaded.meta_steps == 6
