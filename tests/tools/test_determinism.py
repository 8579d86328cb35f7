"""Training gives the same bytes on 1 and 2 threads, and a run split by
--resume (or checkpointed on the way) gives the same bytes as one
uninterrupted run.  The outer rate's step decay (--lr-decay) gives the
bytes of the same schedule made by hand: a run stopped at the step and
resumed with the decayed --outer-lr (a fresh Adam at that rate)."""
import filecmp
import os

from toolrun import main, run, workdir


def same(a, b, what):
    assert filecmp.cmp(a, b, shallow=False), f"{what}: {a} and {b} differ"


def lr_decay(p):
    common = ["--strategy", "maml", "--meta-batch", 5, "--seed", 5, "--quiet"]
    decay = ["--lr-decay", 0.5, "--lr-decay-every", 100]
    run("train", *common, *decay, "--outer-lr", 0.002, "--iterations", 250,
        "--out", p("decay.mlrn"), expect=0)
    # By hand: 0.002 for iterations 0-99, 0.001 for 100-199, 0.0005 after.
    run("train", *common, "--outer-lr", 0.002, "--iterations", 100, "--out", p("hand.mlrn"),
        expect=0)
    for lr, n in ((0.001, 100), (0.0005, 50)):
        run("train", "--resume", p("hand.mlrn"), *common, "--outer-lr", lr, "--iterations", n,
            expect=0)
    same(p("decay.mlrn"), p("hand.mlrn"), "--lr-decay vs resumes at the decayed rates")
    # Split runs with the first run's options, resumed at and between steps:
    # the resumed learner keeps its rate and moments until the next step.
    for first in (100, 150):
        run("train", *common, *decay, "--outer-lr", 0.002, "--iterations", first,
            "--out", p("split.mlrn"), expect=0)
        run("train", "--resume", p("split.mlrn"), *common, *decay, "--outer-lr", 0.002,
            "--iterations", 250 - first, expect=0)
        same(p("decay.mlrn"), p("split.mlrn"), f"--lr-decay: {first} + resume")
    # Resumed without --outer-lr, the schedule starts from the default
    # 0.001: 0.00025 from iteration 200, not 0.0005.
    run("train", *common, *decay, "--outer-lr", 0.002, "--iterations", 150,
        "--out", p("split.mlrn"), expect=0)
    run("train", "--resume", p("split.mlrn"), *common, *decay, "--iterations", 100, expect=0)
    assert not filecmp.cmp(p("decay.mlrn"), p("split.mlrn"), shallow=False), \
        "resumed without --outer-lr: the schedule did not restart from 0.001"
    # Without the decay the run differs: the option is not ignored.
    run("train", *common, "--outer-lr", 0.002, "--iterations", 250, "--out", p("flat.mlrn"),
        expect=0)
    assert not filecmp.cmp(p("decay.mlrn"), p("flat.mlrn"), shallow=False), \
        "--lr-decay changed nothing"


def test():
    with workdir() as d:
        p = lambda name: os.path.join(d, name)
        for strategy in ("maml", "reptile"):
            common = ["--strategy", strategy, "--iterations", 200, "--seed", 7, "--quiet"]
            run("train", *common, "--threads", 1, "--out", p("t1.mlrn"), expect=0)
            run("train", *common, "--threads", 2, "--out", p("t2.mlrn"), expect=0)
            same(p("t1.mlrn"), p("t2.mlrn"), f"{strategy}: threads 1 and 2")

        for strategy in ("maml", "metasgd", "reptile"):
            common = ["--strategy", strategy, "--meta-batch", 10, "--seed", 3, "--quiet"]
            # Reptile anneals epsilon over the whole run: the first part of
            # a split run must know the total.
            anneal = ["--anneal-iters", 400] if strategy == "reptile" else []
            run("train", *common, "--iterations", 400, "--out", p("full.mlrn"), expect=0)
            run("train", *common, *anneal, "--iterations", 200, "--out", p("half.mlrn"),
                expect=0)
            run("train", "--resume", p("half.mlrn"), "--iterations", 200, "--seed", 3,
                "--meta-batch", 10, "--quiet", "--out", p("resumed.mlrn"), expect=0)
            same(p("full.mlrn"), p("resumed.mlrn"), f"{strategy}: 400 vs 200 + resume 200")
            # --resume without --out continues the file in place.
            run("train", "--resume", p("half.mlrn"), "--iterations", 200, "--seed", 3,
                "--meta-batch", 10, "--quiet", expect=0)
            same(p("full.mlrn"), p("half.mlrn"), f"{strategy}: resume in place")
            run("train", *common, "--iterations", 400, "--checkpoint-every", 150,
                "--out", p("ckpt.mlrn"), expect=0)
            same(p("full.mlrn"), p("ckpt.mlrn"), f"{strategy}: with checkpoints")

        lr_decay(p)

        status, _, err = run("train", "--resume", p("full.mlrn"), "--strategy", "maml",
                             "--iterations", 5)
        assert status == 2 and "reptile" in err, err


main(test)
