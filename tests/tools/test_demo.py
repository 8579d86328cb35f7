"""A shortened demo trains, evaluates and plots into the current
directory and says where the plot is."""
import os

from toolrun import main, parse_svg, run, workdir


def test():
    with workdir() as d:
        _, out, _ = run("demo", "--iterations", 200, "--baseline-iterations", 100,
                        "--tasks", 20, "--quiet", cwd=d, expect=0)
        for name in ("metalearn-demo.mlrn", "metalearn-demo.svg"):
            assert os.path.getsize(os.path.join(d, name)) > 0, name
        parse_svg(os.path.join(d, "metalearn-demo.svg"))
        assert "plot: " in out and "metalearn-demo.svg" in out, out
        assert "training time:" in out and "joint baseline" in out, out


main(test)
