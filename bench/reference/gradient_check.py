"""Compares the library's meta-gradient with the TensorFlow.js reference's
(sine_tfjs.js grad) on the same parameters and the same 25 sine tasks
(K = 10 support and 10 query points, inner SGD 0.01): MAML with 1 and 2
inner steps, first-order MAML with 1 and 2, Reptile with 5.

    gradient_check.py [PARAMS.json]

PARAMS.json (sine_tfjs.js's format; `params.py to-json` writes one from a
learner file) defaults to a new learner's initial parameters (seed 1).
Prints one JSON line per case: the relative error |g_lib - g_tfjs| /
|g_tfjs|, the largest elementwise difference, the cosine and both
meta-losses; exits 1 if a relative error is above 1e-4, or for Reptile
if an element differs by more than 1e-5 max(1, max |theta|): its gradient,
theta - mean phi, is a difference of nearly equal floats, so rounding of
theta's size is all the two can be expected to agree to.  Needs node with
TensorFlow.js installed here (compare.sh installs it) and numpy.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import metalearn as ml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import params  # noqa: E402  (this directory's params.py)

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [("maml", 1), ("maml", 2), ("fomaml", 1), ("fomaml", 2), ("reptile", 5)]
LIMIT = 1e-4
REPTILE_LIMIT = 1e-5


def sine_tasks(rng, n, k, q):
    """n tasks y = A sin(x - phase), drawn as the MAML paper draws them."""
    out = {"xs": [], "ys": [], "xq": [], "yq": []}
    for _ in range(n):
        amp, phase = rng.uniform(0.1, 5.0), rng.uniform(0, np.pi)
        for xk, yk, m in (("xs", "ys", k), ("xq", "yq", q)):
            x = rng.uniform(-5, 5, m).astype(np.float32)
            out[xk].append(x)
            out[yk].append((amp * np.sin(x - phase)).astype(np.float32))
    return out


def main():
    model = ml.Model.mlp(1, [40, 40, 1], activation="relu")
    data = sine_tasks(np.random.default_rng(7), 25, 10, 10)
    tasks = [ml.Task.regression(xs.reshape(-1, 1), ys.reshape(-1, 1),
                                xq.reshape(-1, 1), yq.reshape(-1, 1))
             for xs, ys, xq, yq in zip(data["xs"], data["ys"], data["xq"], data["yq"])]
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        tasks_json = os.path.join(tmp, "tasks.json")
        with open(tasks_json, "w") as f:
            json.dump({key: [v.tolist() for v in rows] for key, rows in data.items()}, f)
        params_json = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tmp, "params.json")
        for strategy, steps in CASES:
            with ml.Learner(model, strategy, seed=1, inner_lr=0.01,
                            inner_steps=steps) as learner:
                if len(sys.argv) > 1:
                    learner.set_meta_params(np.concatenate(
                        [t.ravel() for t in params.read_json(params_json)]))
                else:
                    params.write_json(learner.get_meta_params(), params_json)
                g_lib, loss_lib = learner.meta_gradient(tasks)
                scale = max(1.0, float(np.abs(learner.get_meta_params()).max()))
            r = subprocess.run(["node", os.path.join(HERE, "sine_tfjs.js"), "grad",
                                strategy, str(steps), params_json, tasks_json],
                               capture_output=True, text=True, check=True)
            ref = json.loads(r.stdout.strip().splitlines()[-1])
            g_tf = np.asarray(ref["gradient"], np.float64)
            g = np.asarray(g_lib, np.float64)
            rel = float(np.linalg.norm(g - g_tf) / np.linalg.norm(g_tf))
            diff = float(np.abs(g - g_tf).max())
            ok = (diff <= REPTILE_LIMIT * scale if strategy == "reptile"
                  else rel <= LIMIT)
            if not ok:
                failed.append("%s %d" % (strategy, steps))
            print(json.dumps({
                "strategy": strategy, "inner_steps": steps,
                "relative_error": rel,
                "max_abs_diff": diff, "ok": ok,
                "cosine": float(g @ g_tf / (np.linalg.norm(g) * np.linalg.norm(g_tf))),
                "norm": float(np.linalg.norm(g_tf)),
                "loss_library": loss_lib, "loss_tfjs": ref["loss"]}))
    if failed:
        sys.exit("gradient_check.py: the gradients differ (%s)" % ", ".join(failed))


if __name__ == "__main__":
    main()
