"""Image tasks: --task omniglot:DIR and idx:IMAGES,LABELS on tiny data sets
written here.  Short protonet and maml runs train on one group of classes,
eval measures accuracy on the other (given as a split or as `rest`), the
JSON has its fields; info describes the Conv-4 learners; resume and thread
counts do not change results; the data's errors exit 1, plot exits 2."""
import math
import os
import re
import shutil

import imgdata
from toolrun import finite_positive, last_json, main, run, workdir

SMALL = ["--ways", 3, "--shots", 1, "--queries", 2, "--filters", 8, "--blocks", 2]


def check_eval(ev, strategy, task, episodes, queries, steps):
    assert ev["command"] == "eval" and ev["strategy"] == strategy, ev
    assert ev["task"] == task and ev["ways"] == 3 and ev["shots"] == 1, ev
    assert ev["queries"] == queries and ev["episodes"] == episodes, ev
    assert ev["steps"] == steps, ev
    assert 0.0 <= ev["accuracy"] <= 1.0, ev
    assert math.isfinite(ev["ci95"]) and ev["ci95"] >= 0, ev
    assert ev["diverged"] == 0 and ev["classes"] == 6, ev
    finite_positive(ev["seconds"], "eval seconds")


def omniglot(d):
    root = imgdata.make_omniglot(os.path.join(d, "omni"))
    task = f"omniglot:{root}"
    p = lambda name: os.path.join(d, name)

    # protonet: one episode per iteration, no inner loop, rotations on.
    _, out, err = run("train", "--task", task, "--strategy", "protonet", *SMALL,
                      "--iterations", 30, "--train-split", "groups:Alpha",
                      "--out", p("pn.mlrn"), "--json", expect=0)
    tr = last_json(out)
    assert tr["strategy"] == "protonet" and tr["task"] == task and tr["ways"] == 3, tr
    assert tr["meta_batch"] == 1 and tr["rotations"] is True, tr
    assert tr["train_split"] == "groups:Alpha" and tr["iterations"] == 30, tr
    assert tr["inner_steps"] is None and tr["inner_lr"] is None, tr
    assert "training on groups:Alpha: 6 classes, x4 with rotations" in out, out
    assert "iter 30/30" in err, err

    _, out, _ = run("eval", p("pn.mlrn"), "--task", task, "--ways", 3, "--queries", 3,
                    "--test-split", "groups:Beta", "--episodes", 40, "--json", expect=0)
    ev = last_json(out)
    check_eval(ev, "protonet", task, 40, 3, None)
    assert ev["test_split"] == "groups:Beta", ev
    assert re.search(r"^3-way 1-shot: accuracy \d+\.\d\d% \+/- \d+\.\d\d% over 40 episodes$",
                     out, re.M), out
    # `rest` of the train split is the same classes, so the same episodes;
    # more threads change nothing either.
    _, out, _ = run("eval", p("pn.mlrn"), "--task", task, "--ways", 3, "--queries", 3,
                    "--train-split", "groups:Alpha", "--episodes", 40, "--threads", 2,
                    "--json", "--quiet", expect=0)
    ev2 = last_json(out)
    assert ev2["test_split"] == "rest", ev2
    assert (ev2["accuracy"], ev2["ci95"], ev2["loss"]) == \
        (ev["accuracy"], ev["ci95"], ev["loss"]), (ev, ev2)
    # Testing on trained classes is allowed, with a warning.
    _, _, err = run("eval", p("pn.mlrn"), "--task", task, "--ways", 3, "--queries", 3,
                    "--train-split", "groups:Alpha", "--test-split", "all",
                    "--episodes", 5, "--quiet", expect=0)
    assert "warning: 6 of the 12 test classes are in the train split" in err, err

    _, out, _ = run("info", p("pn.mlrn"), expect=0)
    assert "conv 3x3" in out and "inner loop:       none" in out, out
    info = last_json(run("info", p("pn.mlrn"), "--json", expect=0)[1])
    assert info["strategy"] == "protonet" and info["inner_steps"] is None, info

    # relation: Conv-4 keeps feature maps (pooling in 2 of 3 blocks) for the
    # convolutional relation module, and its learner evaluates.
    run("train", "--task", task, "--strategy", "relation", *SMALL, "--blocks", 3,
        "--iterations", 5, "--train-split", "groups:Alpha", "--out", p("rel.mlrn"),
        "--quiet", expect=0)
    _, out, _ = run("info", p("rel.mlrn"), expect=0)
    model = next(line for line in out.splitlines() if line.startswith("model:"))
    assert "flatten" not in model and model.count("maxpool") == 2, model
    assert model.count("conv 3x3") == 3, model
    _, out, _ = run("eval", p("rel.mlrn"), "--task", task, "--ways", 3, "--queries", 2,
                    "--test-split", "groups:Beta", "--episodes", 5, "--json", "--quiet",
                    expect=0)
    check_eval(last_json(out), "relation", task, 5, 2, None)

    # matching: the flattened Conv-4 embedding like protonet, no head.
    run("train", "--task", task, "--strategy", "matching", *SMALL, "--iterations", 5,
        "--train-split", "groups:Alpha", "--out", p("mn.mlrn"), "--quiet", expect=0)
    info = last_json(run("info", p("mn.mlrn"), "--json", expect=0)[1])
    assert info["strategy"] == "matching" and info["inner_steps"] is None, info
    assert info["meta_params"] == info["params"], info
    _, out, _ = run("eval", p("mn.mlrn"), "--task", task, "--ways", 3, "--queries", 2,
                    "--test-split", "groups:Beta", "--episodes", 5, "--json", "--quiet",
                    expect=0)
    check_eval(last_json(out), "matching", task, 5, 2, None)

    # maml: Conv-4 and a dense layer of 3 outputs; the paper's alpha 0.4.
    _, out, _ = run("train", "--task", task, "--strategy", "maml", *SMALL,
                    "--iterations", 20, "--train-split", "groups:Alpha",
                    "--out", p("maml.mlrn"), "--json", "--quiet", expect=0)
    tr = last_json(out)
    assert tr["strategy"] == "maml" and tr["meta_batch"] == 4, tr
    assert tr["inner_lr"] == 0.4 and tr["inner_steps"] == 1, tr
    # eval takes the ways from the network and 3 inner steps by default.
    _, out, _ = run("eval", p("maml.mlrn"), "--task", task, "--queries", 3,
                    "--train-split", "groups:Alpha", "--episodes", 30, "--json", "--quiet",
                    expect=0)
    ev = last_json(out)
    check_eval(ev, "maml", task, 30, 3, 3)
    assert "3 inner steps (alpha 0.4)" in out, out
    status, _, err = run("eval", p("maml.mlrn"), "--task", task, "--ways", 5,
                         "--train-split", "groups:Alpha", "--queries", 3)
    assert status == 2 and "3 outputs" in err, err
    info = last_json(run("info", p("maml.mlrn"), "--json", expect=0)[1])
    assert info["model"].endswith("dense 3") and info["inner_lr"] == 0.4, info

    # A run split by --resume is the same run.
    common = ["--task", task, "--strategy", "protonet", *SMALL, "--rotations", 0,
              "--seed", 5, "--quiet"]
    run("train", *common, "--iterations", 20, "--out", p("full.mlrn"), expect=0)
    run("train", *common, "--iterations", 10, "--out", p("half.mlrn"), expect=0)
    run("train", *common, "--iterations", 10, "--resume", p("half.mlrn"), expect=0)
    with open(p("full.mlrn"), "rb") as a, open(p("half.mlrn"), "rb") as b:
        assert a.read() == b.read(), "protonet 20 vs 10 + resume 10"

    # The image size: eval defaults to the network's.
    run("train", "--task", task, "--strategy", "protonet", *SMALL, "--iterations", 5,
        "--image-size", 20, "--out", p("s20.mlrn"), "--quiet", expect=0)
    run("eval", p("s20.mlrn"), "--task", task, "--ways", 3, "--queries", 3,
        "--episodes", 5, "--quiet", expect=0)
    status, _, err = run("eval", p("s20.mlrn"), "--task", task, "--image-size", 28,
                         "--queries", 3, "--episodes", 5, "--quiet")
    assert status == 2 and "--image-size" in err, err

    # Shifted training examples: reported, and refused at the images' side.
    _, out, _ = run("train", "--task", task, "--strategy", "protonet", *SMALL,
                    "--iterations", 3, "--augment-shift", 2, "--image-size", 20,
                    "--out", p("sh.mlrn"), "--json", expect=0)
    assert last_json(out)["augment_shift"] == 2, out
    assert "shifted by up to 2 pixels" in out, out
    status, _, err = run("train", "--task", task, "--strategy", "protonet", *SMALL,
                         "--iterations", 3, "--augment-shift", 20, "--image-size", 20,
                         "--out", p("sh.mlrn"))
    assert status == 2 and "--augment-shift 20" in err and "20x20" in err, err

    # Errors of the data: the library's message, exit 1.
    def fails(args, needle):
        status, _, err = run(*args)
        assert status == 1 and needle in err, f"{args}: exit {status}\n{err}"
    fails(["train", "--task", f"omniglot:{p('nowhere')}", "--out", p("x.mlrn")], "nowhere")
    fails(["eval", p("pn.mlrn"), "--task", f"omniglot:{p('nowhere')}"], "nowhere")
    fails(["train", "--task", task, "--train-split", "groups:Gamma", "--out", p("x.mlrn")],
          "Gamma")
    fails(["train", "--task", task, *SMALL, "--ways", 7, "--rotations", 0,
           "--train-split", "groups:Alpha", "--out", p("x.mlrn")], "7-way")
    fails(["eval", p("pn.mlrn"), "--task", task, "--episodes", 5], "15")  # 1 + 15 > 6 images
    broken = os.path.join(d, "broken")
    shutil.copytree(root, broken)
    with open(os.path.join(broken, "Beta", "character02", "0201_01.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\nnot really")
    fails(["train", "--task", f"omniglot:{broken}", "--out", p("x.mlrn")], "0201_01.png")
    assert not os.path.exists(p("x.mlrn"))

    # plot draws 1-D regression only.
    for args in (["plot", p("pn.mlrn"), "--out", p("f.svg"), "--task", task],
                 ["plot", p("pn.mlrn"), "--out", p("f.svg")]):
        status, _, err = run(*args)
        assert status == 2 and "not supported for image tasks" in err, err
    # A metric learner is no regression model.
    status, _, err = run("eval", p("pn.mlrn"), "--tasks", 5)
    assert status == 2 and "image task" in err, err


def idx(d):
    p = lambda name: os.path.join(d, name)
    imgdata.write_idx(p("img"), p("lab"), n_classes=12, per_class=8)
    imgdata.write_idx(p("img.gz"), p("lab.gz"), n_classes=12, per_class=8, gz=True)
    raw, gz = f"idx:{p('img')},{p('lab')}", f"idx:{p('img.gz')},{p('lab.gz')}"
    split = ["--train-split", "fraction:0.5", "--split-seed", 4]
    _, out, _ = run("train", "--task", raw, "--strategy", "protonet", *SMALL, *split,
                    "--iterations", 20, "--out", p("idx.mlrn"), "--json", "--quiet",
                    expect=0)
    tr = last_json(out)
    assert tr["rotations"] is False and tr["train_split"] == "fraction:0.5", tr
    assert "96 images of 28x28 in 12 classes; training on fraction:0.5: 6 classes\n" in out
    results = []
    for task in (raw, gz):
        _, out, _ = run("eval", p("idx.mlrn"), "--task", task, "--ways", 3, "--queries", 4,
                        *split, "--episodes", 30, "--json", "--quiet", expect=0)
        ev = last_json(out)
        check_eval(ev, "protonet", task, 30, 4, None)
        results.append((ev["accuracy"], ev["loss"]))
    assert results[0] == results[1], f"raw and gzip files differ: {results}"
    status, _, err = run("eval", p("idx.mlrn"), "--task", f"idx:{p('img')},{p('nothing')}")
    assert status == 1 and "nothing" in err, err


def test():
    with workdir() as d:
        omniglot(d)
    with workdir() as d:
        idx(d)


main(test)
