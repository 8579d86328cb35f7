"""metalearn train --mpi and examples/mpi_sine under mpirun.

Whatever the number of ranks (1, 2, 3; 5 tasks make uneven slices, and a
sine meta-batch of 5 on a dense network is one part, so some ranks have
nothing to do) an --mpi run saves the same bytes as one process without
MPI, checkpoints and resumes included: the ranks follow the library's
plan of the meta-batch (ml_learner_meta_gradient_parts) and add the parts'
sums in its order.  Checked for MAML and Reptile on sine with meta-batches
of 5 (one part) and 40 (three parts), Reptile with its inner Adam (one
part per task), MAML and protonet on images, and the example.  Rank 0
alone prints; ranks that start from different learners are refused; a
diverging run fails on all ranks; --threads does not go with --mpi.

Arguments: metalearn, the mpi_sine example, mpirun."""
import filecmp
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import imgdata  # noqa: E402
from toolrun import EXE, last_json, main, run, workdir  # noqa: E402

EXAMPLE, MPIRUN = sys.argv[2], sys.argv[3]


def sanitizer_env():
    """In a sanitizer build, LeakSanitizer would report what OpenMPI keeps
    until exit: suppress it (lsan.supp), with OpenMPI's plugins kept loaded
    and stacks unwound in full so the suppressions can see whose memory
    it is.  Harmless elsewhere."""
    env = dict(os.environ)
    env["OMPI_MCA_mca_base_component_disable_dlclose"] = "1"
    env["PMIX_MCA_mca_base_component_disable_dlclose"] = "1"
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
    for var, opt in (("LSAN_OPTIONS", "suppressions=" + supp),
                     ("ASAN_OPTIONS", "fast_unwind_on_malloc=0")):
        env[var] = ":".join(filter(None, (env.get(var), opt)))
    return env


def mpirun(np, *args, expect=0):
    """Runs `mpirun -np NP ARGS` (an executable and its arguments, or an
    MPMD line with ':'); returns (status, stdout, stderr)."""
    cmd = [MPIRUN, "--allow-run-as-root", "--oversubscribe", "-np", str(np),
           *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL, env=sanitizer_env())
    if expect is not None and proc.returncode != expect:
        raise AssertionError(f"{' '.join(cmd)}: exit {proc.returncode}, expected {expect}\n"
                             f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}")
    return proc.returncode, proc.stdout, proc.stderr


def same(a, b, what):
    assert filecmp.cmp(a, b, shallow=False), f"{what}: {a} and {b} differ"


def sine(p):
    for strategy, batch in (("maml", 5), ("maml", 40), ("reptile", 5), ("reptile", 40)):
        args = ["train", "--strategy", strategy, "--iterations", 40, "--meta-batch", batch,
                "--seed", 3, "--quiet"]
        run(*args, "--out", p("one.mlrn"), expect=0)
        for np in (1, 2, 3):
            _, out, _ = mpirun(np, EXE, *args, "--mpi", "--json", "--out", p("mpi.mlrn"))
            same(p("one.mlrn"), p("mpi.mlrn"),
                 f"{strategy}, meta-batch {batch}: one process and {np} ranks")
            assert out.count(f"trained {strategy} on sine") == 1, out
            assert last_json(out)["iterations"] == 40, out

    args = ["train", "--strategy", "reptile", "--inner-adam", "--iterations", 40,
            "--meta-batch", 5, "--seed", 3, "--quiet"]
    run(*args, "--out", p("one.mlrn"), expect=0)
    mpirun(2, EXE, *args, "--mpi", "--out", p("mpi.mlrn"))
    same(p("one.mlrn"), p("mpi.mlrn"), "reptile with inner Adam on 2 ranks")

    # Only rank 0 writes, checkpoints included, and a resumed run carries on.
    args = ["--meta-batch", 4, "--seed", 9, "--quiet", "--mpi"]
    mpirun(1, EXE, "train", "--iterations", 60, *args, "--out", p("full.mlrn"))
    mpirun(2, EXE, "train", "--iterations", 40, *args, "--checkpoint-every", 15,
           "--out", p("ckpt.mlrn"))
    mpirun(2, EXE, "train", "--iterations", 20, *args, "--resume", p("ckpt.mlrn"))
    same(p("full.mlrn"), p("ckpt.mlrn"), "60 iterations vs 40 with checkpoints + 20 resumed")


def images(d, p):
    task = "omniglot:" + imgdata.make_omniglot(os.path.join(d, "omni"))
    small = ["--ways", 3, "--shots", 1, "--queries", 2, "--filters", 8, "--blocks", 2,
             "--iterations", 12, "--seed", 4, "--quiet"]
    # maml: 4 episodes, 2 a rank; protonet: 1 episode, rank 0 has none.
    for strategy in ("maml", "protonet"):
        args = ["train", "--task", task, "--strategy", strategy, *small]
        run(*args, "--out", p("one.mlrn"), expect=0)
        mpirun(2, EXE, *args, "--mpi", "--out", p("mpi.mlrn"))
        same(p("one.mlrn"), p("mpi.mlrn"), f"{strategy} on images")


def refusals(p):
    # Different seeds make different learners: refused at the first step,
    # by rank 0, rather than trained into a model no one asked for.
    args = ["train", "--iterations", 5, "--quiet", "--mpi", "--out", p("bad.mlrn")]
    status, _, err = mpirun(1, EXE, *args, "--seed", 1, ":", "-np", 1, EXE, *args,
                            "--seed", 2, expect=None)
    assert status != 0 and "rank 1's learner differs from rank 0's" in err, err
    assert not os.path.exists(p("bad.mlrn"))
    # A run that diverges fails on every rank at the same iteration, as in
    # one process; rank 0 alone says why, and nothing is saved.
    diverge = ["train", "--inner-lr", "1e6", "--iterations", 100, "--meta-batch", 5,
               "--quiet", "--out", p("bad.mlrn")]
    _, _, err1 = run(*diverge, expect=1)
    status, _, err = mpirun(2, EXE, *diverge, "--mpi", expect=None)
    assert "not finite" in err1 and status != 0 and err.count("not finite") == 1, err
    assert not os.path.exists(p("bad.mlrn"))
    _, _, err = run("train", "--mpi", "--threads", 2, "--out", p("t.mlrn"), expect=2)
    assert "--threads does not apply" in err, err


def example(p):
    subprocess.run([EXAMPLE, "60", p("serial.mlrn"), "--serial"], check=True,
                   capture_output=True, timeout=240)
    _, out, _ = mpirun(2, EXAMPLE, 60, p("ranks.mlrn"))
    same(p("serial.mlrn"), p("ranks.mlrn"), "mpi_sine: serial and 2 ranks")
    assert out.count("saved to") == 1, out


def test():
    with workdir() as d:
        p = lambda name: os.path.join(d, name)
        sine(p)
        images(d, p)
        refusals(p)
        example(p)


main(test)
