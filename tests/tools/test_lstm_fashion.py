"""The learned optimiser on the Fashion-MNIST MLP problems, when the data
set is installed (the Debian package dataset-fashion-mnist): a tiny train
on the training images, an eval on the test images with JSON output.
Without the data it checks only that the missing files are reported."""
import math
import os

from toolrun import last_json, main, run, workdir

DATA = "/usr/share/datasets/fashion-mnist"
FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def have_data():
    return all(os.path.exists(os.path.join(DATA, f + ".gz")) or
               os.path.exists(os.path.join(DATA, f)) for f in FILES)


def test():
    with workdir() as d:
        opt = os.path.join(d, "f.mlrn")
        if not have_data():
            status, _, err = run("train", "--strategy", "lstm-optimizer", "--task",
                                 "fashion-mlp", "--out", opt)
            assert status == 1 and "Fashion-MNIST" in err, err
            print(f"no Fashion-MNIST in {DATA}: only the error was checked")
            return
        # One problem, two steps a meta-step: an MLP of 15,910 parameters
        # is a thousand times a 10-d quadratic.
        s = last_json(run("train", "--strategy", "lstm-optimizer", "--task", "fashion-mlp",
                          "--iterations", 2, "--problems", 1, "--unroll", 2,
                          "--horizon", 4, "--out", opt, "--quiet", "--json", expect=0)[1])
        assert s["task"] == "fashion-mlp" and s["iterations"] == 2, s
        assert math.isfinite(s["loss"]) and s["loss"] > 0, s
        ev = last_json(run("eval", opt, "--task", f"fashion-mlp:{DATA}", "--steps", 3,
                           "--problems", 2, "--tune-problems", 1, "--lr-grid",
                           "0.01,0.1,2", "--quiet", "--json", expect=0)[1])
        # 784 inputs, 20 hidden units, 10 classes.
        assert ev["params"] == 784 * 20 + 20 + 20 * 10 + 10 and ev["data"] == "test", ev
        assert ev["grid"] == [0.01, 0.1], ev
        assert len(ev["results"]) == 5, ev
        for r in ev["results"]:
            f = r["final"][0]
            assert f["steps"] == 3 and f["diverged"] == 0, r
            # Cross-entropy over 10 classes starts near log(10).
            assert 0 < f["mean"] < 5 and 0 < f["median"] < 5, r


main(test)
