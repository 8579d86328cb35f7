"""The library exports exactly the symbols of its version script.

usage: symbols_test.py SHARED_LIB STATIC_LIB MAPFILE SONAME

- `nm -D --defined-only` of the shared library, version nodes left out,
  equals the global list of the version script, and each symbol carries a
  version from the script;
- every exported symbol starts with ml_;
- each version node's global list is in alphabetical order, without
  duplicates, and no name is listed twice across nodes;
- the SONAME is SONAME;
- every global symbol the static library defines starts with ml_ (a
  program linking it statically gets no other names).
"""
import re
import subprocess
import sys

errors = []


def error(msg):
    errors.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        print("%s failed:\n%s" % (" ".join(cmd), res.stderr), file=sys.stderr)
        sys.exit(1)
    return res.stdout


def parse_map(path):
    """[(node, [global names])] in file order."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    text = re.sub(r"#[^\n]*", "", text)
    nodes = []
    for name, body in re.findall(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}", text, re.S):
        m = re.search(r"global\s*:(.*?)(?:local\s*:|$)", body, re.S)
        names = [n.strip() for n in m.group(1).split(";")] if m else []
        nodes.append((name, [n for n in names if n]))
    return nodes


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    shared, static, mapfile, soname = sys.argv[1:]

    nodes = parse_map(mapfile)
    if not nodes:
        error("no version node found in " + mapfile)
    listed = {}
    for node, names in nodes:
        if names != sorted(names):
            error("%s: node %s is not in alphabetical order: %s"
                  % (mapfile, node, names))
        for n in names:
            if n in listed:
                error("%s: %s listed in %s and %s" % (mapfile, n, listed[n], node))
            listed[n] = node
    node_names = {node for node, _ in nodes}

    exported = {}
    for line in run(["nm", "-D", "--defined-only", shared]).splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        kind, sym = parts[-2], parts[-1]
        name, _, version = sym.partition("@")
        version = version.lstrip("@")
        if kind == "A" and name in node_names:
            continue  # the version node itself
        exported[name] = version

    for name, version in sorted(exported.items()):
        if not name.startswith("ml_"):
            error("exported symbol %s does not start with ml_" % name)
        if name not in listed:
            error("%s is exported but not in %s" % (name, mapfile))
        elif version and version != listed[name]:
            error("%s has version %s, the map puts it in %s"
                  % (name, version, listed[name]))
    for name in sorted(set(listed) - set(exported)):
        error("%s is in %s but the library does not export it" % (name, mapfile))

    found = re.findall(r"\(SONAME\)\s+Library soname: \[([^\]]*)\]",
                       run(["readelf", "-d", shared]))
    if found != [soname]:
        error("SONAME is %s, want %s" % (found, soname))

    foreign = set()
    for line in run(["nm", "-g", "--defined-only", static]).splitlines():
        parts = line.split()
        if len(parts) < 3 or line.endswith(":"):
            continue
        name = parts[-1]
        # Sanitizer instrumentation adds its own globals.
        if name.startswith(("ml_", "__asan", "__odr_asan", "__ubsan", "__sancov")):
            continue
        foreign.add(name)
    for name in sorted(foreign):
        error("the static library defines the global %s (not ml_)" % name)

    if errors:
        return 1
    print("%d symbols exported, all in %s; SONAME %s"
          % (len(exported), mapfile, soname))
    return 0


if __name__ == "__main__":
    sys.exit(main())
