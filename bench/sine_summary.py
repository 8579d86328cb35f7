"""Summarises sine-wave runs over seeds: reads OUT/STRATEGY-SEED.eval.json
(`metalearn eval --json`), prints one line per seed (MSE after each number
of steps, or "diverged(N)" where N test tasks did not stay finite) and one
line of means over the seeds whose figure is finite.

    sine_summary.py OUT STRATEGY SEED...
"""
import json, sys, math
out, s, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
per = {}
for seed in seeds:
    try:
        e = json.load(open(f"{out}/{s}-{seed}.eval.json"))
    except (OSError, ValueError):
        continue
    row = []
    for r in e["mse"]:
        v = r.get("mean")
        bad = r.get("diverged", 0)
        row.append((r["steps"], v if v is not None and math.isfinite(v) and not bad else None, bad))
    per[seed] = row
    cells = " ".join(f"{m:.3f}" if m is not None else f"diverged({b})" for _, m, b in row)
    print(f"{s} seed {seed}: {cells}")
if per:
    steps = [st for st, _, _ in next(iter(per.values()))]
    means = []
    for i, st in enumerate(steps):
        v = [row[i][1] for row in per.values() if row[i][1] is not None]
        means.append(f"{st} steps {sum(v) / len(v):.3f} ({len(v)} seeds)" if v else f"{st} steps -")
    print(f"{s} mean: " + ", ".join(means))
