"""Each strategy: a short train writes a file, info describes it, eval
prints valid JSON with finite positive errors for it and for the joint
baseline, plot writes a well-formed SVG.  Also: the evaluation tasks do not
depend on the step counts asked for, JSON strings are escaped, and progress
lines appear when stderr is not a terminal."""
import json
import math
import os

from toolrun import finite_positive, last_json, main, parse_svg, run, workdir

STRATEGIES = ["maml", "fomaml", "reptile", "metasgd", "joint"]
SVG = "{http://www.w3.org/2000/svg}"


def check_scores(scores, steps, what):
    assert [s["steps"] for s in scores] == steps, f"{what}: {scores}"
    for s in scores:
        finite_positive(s["mean"], f"{what} mse after {s['steps']} steps")
        assert math.isfinite(s["ci95"]) and s["ci95"] >= 0, f"{what}: {s}"


def one_strategy(d, strategy):
    model = os.path.join(d, f"{strategy}.mlrn")
    _, out, err = run("train", "--strategy", strategy, "--iterations", 300,
                      "--meta-batch", 5, "--out", model, "--json", expect=0)
    summary = last_json(out)
    assert summary["strategy"] == strategy and summary["task"] == "sine"
    assert summary["iterations"] == 300 and summary["shots"] == 10
    finite_positive(summary["seconds"], "train seconds")
    finite_positive(summary["loss"], "train loss")
    assert os.path.getsize(model) > 0
    assert "iter 300/300" in err, f"no final progress line on stderr:\n{err}"

    _, out, _ = run("info", model, expect=0)
    assert f"strategy:         {strategy}" in out, out
    assert "dense 40" in out and "iterations:       300" in out, out
    if strategy == "reptile":
        assert "reptile epsilon:  1" in out, out
    info = json.loads(run("info", model, "--json", expect=0)[1])
    assert info["strategy"] == strategy and info["iterations"] == 300
    assert info["file_size"] == os.path.getsize(model)
    assert info["meta_params"] == (2 if strategy == "metasgd" else 1) * info["params"]

    _, out, _ = run("eval", model, "--tasks", 50, "--steps", "1,5", "--json",
                    "--baseline-iterations", 200, "--quiet", expect=0)
    ev = last_json(out)
    assert ev["strategy"] == strategy and ev["tasks"] == 50 and ev["shots"] == 10
    assert ev["iterations"] == 300
    check_scores(ev["mse"], [1, 5], strategy)
    assert ev["baseline"]["strategy"] == "joint"
    assert ev["baseline"]["iterations"] == 200
    check_scores(ev["baseline"]["mse"], [1, 5], f"{strategy} baseline")

    fig = os.path.join(d, f"{strategy}.svg")
    run("plot", model, "--out", fig, "--tasks", 2, expect=0)
    root = parse_svg(fig)
    # Per panel: the true curve and 3 predictions (at least one polyline
    # each), 10 support points.
    assert len(root.findall(f".//{SVG}polyline")) >= 2 * 4
    assert len(root.findall(f".//{SVG}circle")) >= 2 * 10
    return model


def test():
    with workdir() as d:
        models = {s: one_strategy(d, s) for s in STRATEGIES}

        # The evaluation tasks are drawn before any step count is tried.
        m = models["maml"]
        a = last_json(run("eval", m, "--tasks", 30, "--steps", "1", "--no-baseline",
                          "--json", expect=0)[1])
        b = last_json(run("eval", m, "--tasks", 30, "--steps", "10,1,0", "--no-baseline",
                          "--json", expect=0)[1])
        assert a["baseline"] is None
        assert a["mse"][0] == b["mse"][1], (a["mse"], b["mse"])

        # A table for people, the JSON line last.
        _, out, _ = run("eval", m, "--tasks", 20, "--no-baseline", expect=0)
        assert "steps" in out and "+/-" in out and not out.rstrip().endswith("}")

        # A task whose adaptation diverges is counted, not fatal: a joint
        # model fine-tuned with a far too large step.
        wild = os.path.join(d, "wild.mlrn")
        run("train", "--strategy", "joint", "--inner-lr", 1.5, "--iterations", 20,
            "--meta-batch", 5, "--out", wild, "--quiet", expect=0)
        ev = last_json(run("eval", wild, "--tasks", 20, "--steps", "0,30",
                           "--no-baseline", "--json", expect=0)[1])
        assert ev["mse"][0]["diverged"] == 0 and ev["mse"][1]["diverged"] > 0, ev
        finite_positive(ev["mse"][0]["mean"], "mse before adaptation")
        run("plot", wild, "--out", os.path.join(d, "wild.svg"), "--steps", "0,30",
            expect=0)
        parse_svg(os.path.join(d, "wild.svg"))

        # JSON strings are escaped.
        weird = os.path.join(d, 'we"ird\\name\t\u00e9.mlrn')
        out = run("train", "--iterations", 2, "--meta-batch", 2, "--out", weird,
                  "--json", expect=0)[1]
        assert last_json(out)["out"] == weird

        # Plain progress lines at the requested period when not a terminal.
        err = run("train", "--iterations", 30, "--meta-batch", 2, "--log-every", 10,
                  "--out", os.path.join(d, "p.mlrn"), expect=0)[2]
        lines = [l for l in err.splitlines() if l.startswith("train: iter ")]
        assert [l.split()[2] for l in lines] == ["10/30", "20/30", "30/30"], err
        assert all(" it/s" in l and " loss " in l for l in lines), err
        err = run("train", "--iterations", 30, "--meta-batch", 2, "--quiet",
                  "--out", os.path.join(d, "q.mlrn"), expect=0)[2]
        assert err == "", err


main(test)
