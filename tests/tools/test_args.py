"""Bad command lines exit with status 2 and one line on stderr, before
touching any file; --help, help CMD and --version work."""
import os

from toolrun import main, run, workdir

BAD = [
    [],
    ["frob"],
    ["--frob"],
    ["help", "frob"],
    ["train", "--bogus", "--out", "m.mlrn"],
    ["train", "-x", "--out", "m.mlrn"],
    ["train", "--out", "m.mlrn", "--shots"],
    ["train", "--shots", "abc", "--out", "m.mlrn"],
    ["train", "--shots", "-3", "--out", "m.mlrn"],
    ["train", "--shots", "0", "--out", "m.mlrn"],
    ["train", "--iterations", "1e3", "--out", "m.mlrn"],
    ["train", "--inner-lr", "nan", "--out", "m.mlrn"],
    ["train", "--inner-lr", "0", "--out", "m.mlrn"],
    ["train", "--outer-lr", "0.001x", "--out", "m.mlrn"],
    ["train", "--threads", "0", "--out", "m.mlrn"],
    ["train", "--strategy", "foo", "--out", "m.mlrn"],
    ["train", "--strategy", "maml"],
    ["train", "--json=1", "--out", "m.mlrn"],
    ["train", "--out", "m.mlrn", "stray"],
    ["train", "--task", "mnist:/data", "--out", "m.mlrn"],
    ["train", "--task", "omniglot", "--out", "m.mlrn"],
    ["train", "--task", "idx:a.idx", "--out", "m.mlrn"],
    ["train", "--task", "idx:a,b,c", "--out", "m.mlrn"],
    ["train", "--task", "idx:a,b", "--image-size", "32", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--train-split", "alphabets:Greek", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--train-split", "rest", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--train-split", "groups:", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--train-split", "fraction:1.5", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--train-split", "fraction:x", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--test-split", "rest", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--split-seed", "3", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--ways", "1", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--rotations", "2", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--augment-shift", "-1", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--augment-shift", "1.5", "--out", "m.mlrn"],
    ["train", "--augment-shift", "2", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--filters", "0", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--amp-min", "1", "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--strategy", "protonet", "--inner-lr", "0.1",
     "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--strategy", "reptile", "--inner-adam", "--inner-sgd",
     "--out", "m.mlrn"],
    ["train", "--task", "omniglot:d", "--inner-sgd", "--out", "m.mlrn"],
    ["train", "--ways", "5", "--out", "m.mlrn"],
    ["train", "--strategy", "protonet", "--out", "m.mlrn"],
    ["train", "--task", "sine:3", "--out", "m.mlrn"],
    ["train", "--task", "", "--out", "m.mlrn"],
    ["train", "--epsilon", "0.2", "--out", "m.mlrn"],
    ["train", "--strategy", "reptile", "--outer-lr", "0.01", "--out", "m.mlrn"],
    ["train", "--strategy", "metasgd", "--inner-lr", "0.1", "--out", "m.mlrn"],
    ["train", "--lr-decay", "0.5", "--out", "m.mlrn"],
    ["train", "--lr-decay-every", "100", "--out", "m.mlrn"],
    ["train", "--lr-decay", "0", "--lr-decay-every", "100", "--out", "m.mlrn"],
    ["train", "--lr-decay", "1.5", "--lr-decay-every", "100", "--out", "m.mlrn"],
    ["train", "--lr-decay", "0.5", "--lr-decay-every", "0", "--out", "m.mlrn"],
    ["train", "--strategy", "reptile", "--lr-decay", "0.5", "--lr-decay-every", "100",
     "--out", "m.mlrn"],
    ["train", "--amp-min", "6", "--out", "m.mlrn"],
    ["train", "--queries", "0", "--out", "m.mlrn"],
    ["train", "--x-min", "1", "--x-max", "-1", "--out", "m.mlrn"],
    ["eval"],
    ["eval", "a.mlrn", "b.mlrn"],
    ["eval", "a.mlrn", "--steps", "1,,5"],
    ["eval", "a.mlrn", "--steps", "1,x"],
    ["eval", "a.mlrn", "--tasks", "0"],
    ["eval", "a.mlrn", "--queries", "0"],
    ["eval", "a.mlrn", "--task", "quadratics"],
    ["eval", "a.mlrn", "--task", "omniglot:d", "--rotations", "1"],
    ["eval", "a.mlrn", "--task", "omniglot:d", "--augment-shift", "1"],
    ["eval", "a.mlrn", "--task", "omniglot:d", "--filters", "8"],
    ["eval", "a.mlrn", "--task", "omniglot:d", "--steps", "1,3"],
    ["eval", "a.mlrn", "--task", "omniglot:d", "--baseline-iterations", "10"],
    ["eval", "a.mlrn", "--task", "omniglot:d", "--test-split", "bogus"],
    ["eval", "a.mlrn", "--episodes", "0"],
    ["eval", "a.mlrn", "--ways", "5"],
    ["plot", "a.mlrn", "--out", "f.svg", "--task", "omniglot:d"],
    ["plot", "a.mlrn"],
    ["plot", "--out", "f.svg"],
    ["plot", "a.mlrn", "--out", "f.svg", "--tasks", "100"],
    ["info"],
    ["info", "a.mlrn", "--verbose"],
    ["demo", "--iterations", "-5"],
    ["demo", "stray"],
]


def test():
    with workdir() as d:
        for args in BAD:
            status, out, err = run(*args, cwd=d)
            where = f"metalearn {' '.join(args)}"
            assert status == 2, f"{where}: exit {status}, expected 2\n{err}"
            lines = err.splitlines()
            assert len(lines) == 1, f"{where}: expected one line on stderr, got:\n{err}"
            assert lines[0].startswith("metalearn: error: "), f"{where}: {lines[0]}"
            assert out == "", f"{where}: unexpected stdout:\n{out}"
        assert os.listdir(d) == [], f"files created by bad command lines: {os.listdir(d)}"

        for args in (["--help"], ["-h"], ["help"]):
            status, out, _ = run(*args, expect=0)
            assert "usage: metalearn" in out and "train" in out and "eval" in out
        for cmd in ("train", "eval", "plot", "info", "demo"):
            _, out, _ = run("help", cmd, expect=0)
            assert out.startswith(f"usage: metalearn {cmd}"), out
            _, out2, _ = run(cmd, "--help", expect=0)
            assert out2 == out
        _, out, _ = run("--version", expect=0)
        assert out.strip().split()[-1].count(".") == 2, out


main(test)
