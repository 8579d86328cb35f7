"""A corrupted, truncated, empty or foreign model file makes info, eval,
plot and train --resume exit 1 with one clear line from the library."""
import os

from toolrun import main, run, workdir

REASONS = ("checksum", "truncated", "not a libmetalearn file")


def test():
    with workdir() as d:
        good = os.path.join(d, "good.mlrn")
        run("train", "--iterations", 20, "--meta-batch", 2, "--out", good, "--quiet",
            expect=0)
        data = open(good, "rb").read()
        files = {}
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0xFF
        files["corrupted"] = bytes(flipped)
        files["truncated"] = data[: len(data) // 2]
        files["empty"] = b""
        files["foreign"] = b"GIF89a, not a model at all\n"
        for name, content in files.items():
            path = os.path.join(d, name + ".mlrn")
            with open(path, "wb") as f:
                f.write(content)
            for args in (["info", path], ["info", path, "--json"],
                         ["eval", path, "--tasks", 5, "--no-baseline"],
                         ["plot", path, "--out", os.path.join(d, "x.svg")],
                         ["train", "--resume", path, "--iterations", 5]):
                status, out, err = run(*args)
                where = f"{name}: metalearn {' '.join(map(str, args))}"
                assert status == 1, f"{where}: exit {status}, expected 1\n{err}"
                lines = err.splitlines()
                assert len(lines) == 1 and lines[0].startswith("metalearn: "), \
                    f"{where}: stderr:\n{err}"
                assert "error:" not in lines[0], f"{where}: reported as a usage error"
                assert any(r in lines[0] for r in REASONS), f"{where}: {lines[0]}"
                assert path in lines[0], f"{where}: the message does not name the file"
                assert out == "", f"{where}: stdout:\n{out}"
            # The damaged file is left as it was.
            assert open(path, "rb").read() == content
        assert not os.path.exists(os.path.join(d, "x.svg"))

        status, _, err = run("info", os.path.join(d, "missing.mlrn"))
        assert status == 1 and "missing.mlrn" in err, err


main(test)
