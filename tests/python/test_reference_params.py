"""bench/reference/params.py, which moves parameters between the
TensorFlow.js reference (bench/reference/sine_tfjs.js) and learner files:
a round trip keeps every bit, and a layout or size it does not know is
refused without writing anything."""
import json
import os

import numpy as np

import metalearn as ml
from conftest import ROOT, run_python

PARAMS = os.path.join(ROOT, "bench", "reference", "params.py")


def _trained(tmp_path, strategy="maml"):
    model = ml.Model.mlp(1, [40, 40, 1], activation="relu")
    sampler = ml.Sampler.sine(seed=3)
    path = str(tmp_path / ("%s.mlrn" % strategy))
    with ml.Learner(model, strategy, seed=2, inner_lr=0.01) as learner:
        for _ in range(5):
            learner.meta_step(sampler.sample_batch(4))
        learner.save(path)
        return path, learner.get_meta_params().copy()


def test_round_trip(tmp_path):
    src, theta = _trained(tmp_path)
    js = str(tmp_path / "p.json")
    back = str(tmp_path / "back.mlrn")
    r = run_python([PARAMS, "to-json", src, js])
    assert r.returncode == 0, r.stderr
    with open(js) as f:
        layers = json.load(f)
    assert [l["shape"] for l in layers] == [[1, 40], [1, 40], [40, 40], [1, 40],
                                            [40, 1], [1, 1]]
    r = run_python([PARAMS, "to-mlrn", js, "maml", back])
    assert r.returncode == 0, r.stderr
    with ml.Learner.load(back) as learner:
        assert np.array_equal(learner.get_meta_params(), theta)
        task = ml.Sampler.sine(seed=9).sample()
        with ml.Learner.load(src) as original:
            assert np.array_equal(learner.evaluate([task], steps=3).loss,
                                  original.evaluate([task], steps=3).loss)


def test_refuses_a_layout_mismatch(tmp_path, monkeypatch):
    """The check that guards the layout: were the library to read W [in,
    out] as [out, in], its predictions would differ from numpy's.  Shown
    here by a numpy forward pass that reads the second layer transposed."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("reference_params", PARAMS)
    params = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(params)
    src, _ = _trained(tmp_path)
    js = str(tmp_path / "p.json")
    out = tmp_path / "t.mlrn"
    params.to_json(src, js)
    forward = params.numpy_forward
    monkeypatch.setattr(params, "numpy_forward", lambda t, x: forward(
        [w.T if i == 2 else w for i, w in enumerate(t)], x))
    try:
        params.to_mlrn(js, "maml", str(out))
    except SystemExit as e:
        assert "layout mismatch" in str(e.code), e.code
    else:
        raise AssertionError("a layout mismatch was not noticed")
    assert not out.exists()
    monkeypatch.setattr(params, "numpy_forward", forward)
    params.to_mlrn(js, "maml", str(out))
    assert out.exists()


def test_refuses_wrong_sizes(tmp_path):
    js = tmp_path / "short.json"
    js.write_text(json.dumps([{"shape": [1, 40], "values": [0.0] * 40}]))
    r = run_python([PARAMS, "to-mlrn", str(js), "maml", str(tmp_path / "x.mlrn")])
    assert r.returncode != 0 and "expected 6 tensors" in r.stderr
    src, _ = _trained(tmp_path)
    good = str(tmp_path / "good.json")
    assert run_python([PARAMS, "to-json", src, good]).returncode == 0
    with open(good) as f:
        layers = json.load(f)
    layers[3]["values"].pop()
    js.write_text(json.dumps(layers))
    r = run_python([PARAMS, "to-mlrn", str(js), "maml", str(tmp_path / "x.mlrn")])
    assert r.returncode != 0 and "tensor 3 holds 39 values, not 40" in r.stderr, r.stderr
    assert not (tmp_path / "x.mlrn").exists()
    src, _ = _trained(tmp_path, "metasgd")
    r = run_python([PARAMS, "to-json", src, str(tmp_path / "m.json")])
    assert r.returncode != 0 and "not the 1761" in r.stderr, r.stderr
