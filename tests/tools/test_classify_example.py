"""examples/classify_images.c: trains a small prototypical network with
metalearn on a tiny Omniglot-like folder, then runs the example, which loads
the learner and classifies new images from one labelled image per class.
Usage: test_classify_example.py METALEARN CLASSIFY_IMAGES"""
import os
import re
import subprocess
import sys

from imgdata import make_omniglot
from toolrun import main, run, workdir


def test():
    example = os.path.abspath(sys.argv[2])
    with workdir() as d:
        data = make_omniglot(os.path.join(d, "data"), classes=5, images=5)
        model = os.path.join(d, "proto.mlrn")
        run("train", f"--task=omniglot:{data}", "--strategy", "protonet", "--ways", "3",
            "--shots", "1", "--queries", "2", "--filters", "8", "--blocks", "2",
            "--iterations", "40", "--quiet", "--out", model, expect=0)
        proc = subprocess.run([example, model, data, "4"], capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr
        m = re.search(r"4-way 1-shot: (\d+) of (\d+) new images", proc.stdout)
        assert m, proc.stdout
        right, total = int(m.group(1)), int(m.group(2))
        # 4 classes of 5 images, one of each used as the support example.
        assert total == 16 and 0 <= right <= total, proc.stdout
        assert "class 0 = Alpha/character01" in proc.stdout, proc.stdout
        # Bad input is an error with a message, not a crash.
        bad = subprocess.run([example, os.path.join(d, "missing.mlrn"), data],
                             capture_output=True, text=True, timeout=60)
        assert bad.returncode == 1 and "loading the learner" in bad.stderr, bad.stderr
        bad = subprocess.run([example, model, data, "99"], capture_output=True, text=True,
                             timeout=60)
        assert bad.returncode == 2 and "classes" in bad.stderr, bad.stderr


main(test)
