"""numpy without copies, and the package without numpy."""
import textwrap

import pytest

from conftest import run_python

import metalearn
from metalearn import _arrays


def test_float32_input_is_not_copied(np):
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    conv = _arrays.floats_in(x, "x")
    assert conv._keep is x
    assert conv.shape == (3, 2) and conv.rows == 3 and conv.row_size == 2
    labels = np.array([0, 1, 2], dtype=np.intc)
    assert _arrays.ints_in(labels, "labels")._keep is labels
    # Other dtypes and layouts are converted.
    assert _arrays.floats_in(x.astype(np.float64), "x")._keep is not x
    t = _arrays.floats_in(x.T, "x")
    assert t._keep.flags.c_contiguous and t.shape == (2, 3)


def test_outputs_written_in_place(ml, np, learner, sampler):
    task = sampler.sample()
    out = np.zeros((4, 1), dtype=np.float32)
    addr = out.ctypes.data
    learner.predict(task, np.zeros(4, dtype=np.float32), out=out)
    assert out.ctypes.data == addr and np.any(out != 0)
    flat = np.zeros(4, dtype=np.float32)  # any shape with the right size
    learner.predict(task, np.zeros(4, dtype=np.float32), out=flat)
    assert np.array_equal(flat, out.ravel())
    with pytest.raises(TypeError, match="float32"):
        learner.predict(task, [0.0], out=np.zeros(1))


SCRIPT = textwrap.dedent("""
    import array, sys
    {prelude}
    import metalearn as ml
    assert not ml.have_numpy(), "numpy was used"
    assert "numpy" not in sys.modules or sys.modules["numpy"] is None
    sampler = ml.Sampler.sine(seed=1)
    learner = ml.Learner(ml.Model.mlp(1, [10, 1]), "maml", seed=2)
    for _ in range(3):
        loss = learner.meta_step(sampler.sample_batch(2))
    y = learner.predict(sampler.sample(), [[0.0], [1.0]])
    assert isinstance(y, array.array) and len(y) == 2
    p = learner.meta_params
    assert isinstance(p, array.array) and p.typecode == "f"
    t = ml.Task.regression([[1, 2]], [3])
    print("OK", loss)
""")


def test_import_with_numpy_blocked():
    prelude = "sys.modules['numpy'] = None  # import numpy raises ImportError"
    r = run_python(["-c", SCRIPT.format(prelude=prelude)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK")


def test_metalearn_no_numpy_variable(np):
    r = run_python(["-c", SCRIPT.format(prelude="")], {"METALEARN_NO_NUMPY": "1"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK")


def test_numpy_is_used_when_present(np):
    assert metalearn.have_numpy()
    r = run_python(["-c", "import metalearn; print(metalearn.have_numpy())"],
                   {"METALEARN_NO_NUMPY": "0"})
    assert r.stdout.strip() == "True", r.stderr
