"""The learned optimiser on quadratics: a short train writes an optimiser
file, info describes it, eval compares it with the four tuned hand-designed
optimisers (JSON structure, finite results, the grid and the chosen rates,
the same problems for everyone, independent of --threads), plot writes an
SVG with a curve per optimiser, --resume continues; bad command lines exit
2 and damaged files exit 1, each with one line on stderr."""
import json
import math
import os

from toolrun import finite_positive, last_json, main, parse_svg, run, workdir

SVG = "{http://www.w3.org/2000/svg}"
OPTIMIZERS = ["lstm-optimizer", "adam", "rmsprop", "nesterov", "sgd"]
# Small enough for a sanitizer build on a busy machine.
SMALL = ["--problems", 8, "--unroll", 5, "--horizon", 10]
EVAL = ["--task", "quadratic", "--problems", 40, "--tune-problems", 10,
        "--steps", "0,20,50", "--quiet"]


def check_train(d):
    opt = os.path.join(d, "q.mlrn")
    _, out, err = run("train", "--strategy", "lstm-optimizer", "--task", "quadratic",
                      "--iterations", 6, "--seed", 3, *SMALL, "--out", opt, "--json",
                      expect=0)
    s = last_json(out)
    assert s["strategy"] == "lstm-optimizer" and s["task"] == "quadratic", s
    assert s["dim"] == 10 and s["iterations"] == 6 and s["iterations_run"] == 6, s
    assert s["problems"] == 8 and s["unroll"] == 5 and s["horizon"] == 10, s
    assert s["hidden"] == 20 and s["preprocess"] == 1 and s["seed"] == 3, s
    finite_positive(s["loss"], "meta-loss")
    assert s["numeric_failures"] == 0 and not s["interrupted"], s
    assert "train: iter 6/6" in err and " loss " in err, err
    assert os.path.getsize(opt) > 0
    return opt


def check_info(opt):
    _, out, _ = run("info", opt, expect=0)
    assert "optimizer:        lstm-optimizer" in out, out
    assert "meta-steps:       6" in out and "hidden units:     20" in out, out
    info = json.loads(run("info", opt, "--json", expect=0)[1])
    assert info["kind"] == "optimizer" and info["optimizer"] == "lstm-optimizer", info
    assert info["iterations"] == 6 and info["problems"] == 8, info
    # (in + H) 4H + 4H + 2H 4H + 4H + H + 1 with in = 2, H = 20.
    assert info["weights"] == 22 * 80 + 80 + 40 * 80 + 80 + 20 + 1, info
    assert info["file_size"] == os.path.getsize(opt)


def check_eval(opt):
    ev = last_json(run("eval", opt, *EVAL, "--json", expect=0)[1])
    assert ev["command"] == "eval" and ev["optimizer"] == "lstm-optimizer", ev
    assert ev["iterations"] == 6 and ev["params"] == 10 and ev["problems"] == 40, ev
    assert ev["tune_problems"] == 10 and ev["steps"] == [0, 20, 50], ev
    grid = ev["grid"]
    assert len(grid) == 13 and math.isclose(grid[0], 1e-4) and math.isclose(grid[-1], 1)
    assert all(b > a for a, b in zip(grid, grid[1:])), grid
    res = {r["optimizer"]: r for r in ev["results"]}
    assert sorted(res) == sorted(OPTIMIZERS), res.keys()
    assert not res["lstm-optimizer"]["tuned"] and "tuning" not in res["lstm-optimizer"]
    for name, r in res.items():
        assert [f["steps"] for f in r["final"]] == [0, 20, 50], r
        for f in r["final"]:
            finite_positive(f["mean"], f"{name} mean after {f['steps']}")
            finite_positive(f["median"], f"{name} median after {f['steps']}")
            assert math.isfinite(f["ci95"]) and f["ci95"] >= 0, f
            assert f["diverged"] == 0, f
        if name == "lstm-optimizer":
            assert all(f["lr"] is None for f in r["final"]), r
            continue
        assert r["tuned"] and [t["steps"] for t in r["tuning"]] == [0, 20, 50], r
        for t, f in zip(r["tuning"], r["final"]):
            assert t["lr"] in grid and f["lr"] == t["lr"], (t, f)
            means, div = t["mean_by_lr"], t["diverged_by_lr"]
            assert len(means) == len(div) == 13, t
            # The choice: fewest diverged runs, then the lowest mean.
            ok = [i for i in range(13) if div[i] == min(div)]
            best = min(ok, key=lambda i: (means[i] is None, means[i] or 0))
            assert t["lr"] == grid[best], (name, t)
    # Every optimiser starts from the same problems and points.
    starts = {r["final"][0]["mean"] for r in ev["results"]}
    assert len(starts) == 1, starts
    # Optimising helps the tuned ones on average.
    for name in OPTIMIZERS[1:]:
        assert res[name]["final"][2]["mean"] < res[name]["final"][0]["mean"], res[name]

    # Threads change nothing but the time.
    ev2 = last_json(run("eval", opt, *EVAL, "--threads", 2, "--json", expect=0)[1])
    assert ev2["results"] == ev["results"], "eval depends on --threads"

    # The table for people.
    _, out, _ = run("eval", opt, *EVAL, expect=0)
    assert "final loss after 50 steps" in out and "+/-" in out, out
    for name in OPTIMIZERS:
        assert f"\n  {name} " in out, out


def check_plot(d, opt):
    fig = os.path.join(d, "q.svg")
    _, out, _ = run("plot", opt, "--task", "quadratic", "--out", fig, "--steps", 30,
                    "--problems", 20, "--tune-problems", 5, "--quiet", expect=0)
    assert "wrote" in out, out
    root = parse_svg(fig)
    assert len(root.findall(f".//{SVG}polyline")) >= len(OPTIMIZERS)
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for name in OPTIMIZERS:
        assert name in texts, texts
    assert "log scale" in texts, texts


def check_resume(d, opt):
    more = os.path.join(d, "more.mlrn")
    s = last_json(run("train", "--strategy", "lstm-optimizer", "--resume", opt,
                      "--iterations", 2, "--out", more, "--quiet", "--json", expect=0)[1])
    assert s["iterations"] == 8 and s["iterations_run"] == 2, s
    assert s["resumed_from"] == opt and s["problems"] == 8, s


def check_errors(d, opt):
    learner = os.path.join(d, "learner.mlrn")
    run("train", "--iterations", 2, "--meta-batch", 2, "--out", learner, "--quiet",
        expect=0)
    o = os.path.join(d, "x.mlrn")
    usage = [
        ["train", "--strategy", "lstm-optimizer", "--task", "sine", "--out", o],
        ["train", "--task", "quadratic", "--strategy", "maml", "--out", o],
        ["train", "--task", "quadratic:0", "--out", o],
        ["train", "--task", "quadratic:ten", "--out", o],
        ["train", "--task", "quadratic:5", "--dim", 6, "--out", o],
        ["train", "--task", "quadratic"],
        ["train", "--task", "fashion-mlp", "--exact", "--out", o],
        ["train", "--task", "fashion-mlp", "--dim", 3, "--out", o],
        ["train", "--task", "quadratic", "--unroll", 50, "--horizon", 20, "--out", o],
        ["train", "--task", "quadratic", "--horizon", 10, "--out", o],
        ["train", "--task", "quadratic", "--hidden", 0, "--out", o],
        ["train", "--task", "quadratic", "--meta-lr", 0, "--out", o],
        ["train", "--task", "quadratic", "--inner-lr", 0.1, "--out", o],
        ["train", "--strategy", "lstm-optimizer", "--resume", opt, "--seed", 2],
        ["eval", opt],
        ["eval", opt, "--task", "quadratics"],
        ["eval", opt, "--task", "sine"],
        ["eval", opt, "--task", "quadratic", "--lr-grid", "1,0.1,5"],
        ["eval", opt, "--task", "quadratic", "--lr-grid", "0.1,1"],
        ["eval", opt, "--task", "quadratic", "--steps", "0"],
        ["eval", opt, "--task", "quadratic", "--problems", 0],
        ["eval", learner, "--task", "quadratic"],
        ["eval", "--task", "quadratic"],
        ["plot", opt, "--task", "quadratic"],
        ["plot", opt, "--task", "quadratic", "--out", "f.svg", "--steps", "5,10"],
    ]
    for args in usage:
        status, out, err = run(*args, cwd=d)
        where = f"metalearn {' '.join(map(str, args))}"
        assert status == 2, f"{where}: exit {status}, expected 2\n{err}"
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("metalearn: error: "), \
            f"{where}: stderr:\n{err}"
        assert out == "", f"{where}: stdout:\n{out}"
    assert not os.path.exists(o) and not os.path.exists(os.path.join(d, "f.svg"))

    data = open(opt, "rb").read()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    damaged = {"corrupted": bytes(flipped), "truncated": data[: len(data) // 2]}
    for name, content in damaged.items():
        path = os.path.join(d, name + ".mlrn")
        with open(path, "wb") as f:
            f.write(content)
        for args in (["info", path], ["eval", path, "--task", "quadratic"],
                     ["plot", path, "--task", "quadratic", "--out", "g.svg"],
                     ["train", "--strategy", "lstm-optimizer", "--resume", path]):
            status, out, err = run(*args, cwd=d)
            where = f"{name}: metalearn {' '.join(map(str, args))}"
            assert status == 1, f"{where}: exit {status}, expected 1\n{err}"
            lines = err.splitlines()
            assert len(lines) == 1 and lines[0].startswith("metalearn: ") and \
                "error:" not in lines[0] and path in lines[0], f"{where}: {err}"
            assert "checksum" in lines[0] or "truncated" in lines[0], f"{where}: {err}"
        assert open(path, "rb").read() == content
    assert not os.path.exists(os.path.join(d, "g.svg"))

    status, _, err = run("train", "--strategy", "lstm-optimizer", "--task",
                         f"fashion-mlp:{d}/nowhere", "--out", o)
    assert status == 1 and "nowhere" in err and "Fashion-MNIST" in err, err
    assert not os.path.exists(o)


def test():
    with workdir() as d:
        opt = check_train(d)
        check_info(opt)
        check_eval(opt)
        check_plot(d, opt)
        check_resume(d, opt)
        check_errors(d, opt)


main(test)
