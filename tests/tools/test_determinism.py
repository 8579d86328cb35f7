"""Training gives the same bytes on 1 and 2 threads, and a run split by
--resume (or checkpointed on the way) gives the same bytes as one
uninterrupted run."""
import filecmp
import os

from toolrun import main, run, workdir


def same(a, b, what):
    assert filecmp.cmp(a, b, shallow=False), f"{what}: {a} and {b} differ"


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

        status, _, err = run("train", "--resume", p("full.mlrn"), "--strategy", "maml",
                             "--iterations", 5)
        assert status == 2 and "reptile" in err, err


main(test)
