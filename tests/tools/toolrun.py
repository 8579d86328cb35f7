"""Helpers shared by the tests of the metalearn command-line tool.

Each test script takes the path of the metalearn executable as its first
argument, works in a fresh temporary directory and exits non-zero (through
an uncaught AssertionError) when a check fails.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

EXE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None


def run(*args, cwd=None, expect=None, timeout=120):
    """Runs metalearn with args; returns (status, stdout, stderr).
    With expect, asserts the exit status first and shows the output if not."""
    proc = subprocess.run([EXE, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if expect is not None and proc.returncode != expect:
        raise AssertionError(
            f"metalearn {' '.join(map(str, args))}: exit {proc.returncode}, "
            f"expected {expect}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}")
    return proc.returncode, proc.stdout, proc.stderr


def last_json(stdout):
    """The JSON object on the last line of stdout."""
    lines = stdout.rstrip("\n").split("\n")
    assert lines and lines[-1].startswith("{"), f"no JSON last line in:\n{stdout}"
    return json.loads(lines[-1])


def finite_positive(x, what):
    assert isinstance(x, (int, float)) and math.isfinite(x) and x > 0, \
        f"{what} = {x!r}, expected a finite positive number"


def parse_svg(path):
    """Parses the file as XML and returns the root, asserting it is an SVG."""
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", f"root element {root.tag}"
    return root


def workdir():
    return tempfile.TemporaryDirectory(prefix="metalearn-test-")


def main(fn):
    if EXE is None or not os.access(EXE, os.X_OK):
        print("usage: test.py PATH-TO-METALEARN", file=sys.stderr)
        sys.exit(2)
    fn()
    print("ok")
