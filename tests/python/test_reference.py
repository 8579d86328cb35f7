"""The same training through Python and through the C API gives the same
meta-parameters, bit for bit (c_reference.c is the C side)."""
import os
import subprocess

import pytest

import metalearn as ml
from metalearn import _arrays

STRATEGY_CODES = {"maml": 1, "fomaml": 2, "reptile": 3, "metasgd": 4, "joint": 5}


def c_reference(tmp_path, iterations, batch, learner_seed, sampler_seed,
                strategy, threads):
    exe = os.environ.get("METALEARN_C_REFERENCE")
    if not exe:
        pytest.skip("METALEARN_C_REFERENCE is not set (run through meson)")
    out = tmp_path / "c_params.bin"
    r = subprocess.run([exe, str(out), str(iterations), str(batch),
                        str(learner_seed), str(sampler_seed),
                        str(STRATEGY_CODES[strategy]), str(threads)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return out.read_bytes(), float(r.stdout)


def python_run(iterations, batch, learner_seed, sampler_seed, strategy,
               threads):
    sampler = ml.Sampler.sine(seed=sampler_seed)
    model = ml.Model.mlp(1, [40, 40, 1], activation="relu")
    learner = ml.Learner(model, strategy, seed=learner_seed, threads=threads)
    model.close()
    for _ in range(iterations):
        loss = learner.meta_step(sampler.sample_batch(batch))
    return memoryview(learner.meta_params).tobytes(), loss


@pytest.mark.parametrize("strategy,iterations,py_threads", [
    ("maml", 50, 1),      # the run: 50 iterations, batch 5, seed 3
    ("maml", 50, 2),      # two worker threads in Python, one in C
    ("fomaml", 20, 1),
    ("reptile", 20, 1),
    ("metasgd", 20, 1),
    ("joint", 20, 1),
])
def test_python_matches_c(tmp_path, strategy, iterations, py_threads):
    c_bytes, c_loss = c_reference(tmp_path, iterations, 5, 3, 4, strategy, 1)
    py_bytes, py_loss = python_run(iterations, 5, 3, 4, strategy, py_threads)
    assert len(py_bytes) == len(c_bytes) > 0
    assert py_bytes == c_bytes
    assert py_loss == c_loss


def test_python_without_numpy_matches_c(tmp_path, monkeypatch):
    c_bytes, c_loss = c_reference(tmp_path, 50, 5, 3, 4, "maml", 1)
    monkeypatch.setattr(_arrays, "np", None)
    py_bytes, py_loss = python_run(50, 5, 3, 4, "maml", 1)
    assert py_bytes == c_bytes and py_loss == c_loss
