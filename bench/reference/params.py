"""Moves MLP 1-40-40-1 parameters between sine_tfjs.js's JSON and a
libmetalearn learner file, through the library's Python binding.

    params.py to-mlrn PARAMS.json STRATEGY OUT.mlrn
    params.py to-json FILE.mlrn OUT.json

to-mlrn checks the layout: the learner's predictions must equal a numpy
forward pass of the JSON tensors (W [in, out] row-major, then b), or it
writes nothing and exits 1.
"""
import json
import sys

import numpy as np

import metalearn as ml

SHAPES = [(1, 40), (1, 40), (40, 40), (1, 40), (40, 1), (1, 1)]


def numpy_forward(tensors, x):
    h = x
    for i in range(0, len(tensors), 2):
        h = h @ tensors[i] + tensors[i + 1]
        if i + 2 < len(tensors):
            h = np.maximum(h, 0)
    return h


def read_json(src):
    """sine_tfjs.js's JSON as six float32 arrays of SHAPES, checked."""
    with open(src) as f:
        layers = json.load(f)
    if len(layers) != len(SHAPES):
        sys.exit("params.py: %s: expected %d tensors" % (src, len(SHAPES)))
    for i, (layer, shape) in enumerate(zip(layers, SHAPES)):
        if len(layer["values"]) != shape[0] * shape[1]:
            sys.exit("params.py: %s: tensor %d holds %d values, not %d"
                     % (src, i, len(layer["values"]), shape[0] * shape[1]))
    return [np.asarray(l["values"], dtype=np.float32).reshape(s)
            for l, s in zip(layers, SHAPES)]


def to_mlrn(src, strategy, out):
    tensors = read_json(src)
    model = ml.Model.mlp(1, [40, 40, 1], activation="relu")
    with ml.Learner(model, strategy, seed=1, inner_lr=0.01) as learner:
        learner.set_meta_params(np.concatenate([t.ravel() for t in tensors]))
        x = np.linspace(-5, 5, 11, dtype=np.float32).reshape(-1, 1)
        task = ml.Task.regression(x[:2], np.zeros((2, 1), np.float32))
        got = learner.predict(task, x, steps=0)
        want = numpy_forward(tensors, x)
        if not np.allclose(got, want, rtol=1e-5, atol=1e-5):
            sys.exit("params.py: the learner's predictions differ from the "
                     "JSON parameters' (max %g): layout mismatch"
                     % float(np.abs(got - want).max()))
        learner.save(out)


def write_json(flat, out, src="the parameters"):
    """Writes a flat MLP 1-40-40-1 parameter vector (the library's order)
    as sine_tfjs.js's JSON."""
    sizes = [a * b for a, b in SHAPES]
    if flat.size != sum(sizes):
        sys.exit("params.py: %s holds %d meta-parameters, not the %d of an "
                 "MLP 1-40-40-1 (Meta-SGD's step sizes are not supported)"
                 % (src, flat.size, sum(sizes)))
    layers, at = [], 0
    for shape, n in zip(SHAPES, sizes):
        layers.append({"shape": list(shape),
                       "values": [float(v) for v in flat[at:at + n]]})
        at += n
    with open(out, "w") as f:
        json.dump(layers, f)


def to_json(src, out):
    learner = ml.Learner.load(src)
    with learner:
        write_json(learner.get_meta_params(), out, src)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "to-mlrn":
        to_mlrn(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "to-json":
        to_json(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
