#!/usr/bin/env python3
"""MAML on sine waves from Python: meta-train the 1-40-40-1 ReLU network of
the MAML paper on random sine waves, then adapt it to new ones from 10
points and print the query MSE after 1 and 10 gradient steps.

Usage: sine_maml.py [--iterations N] [--meta-batch B] [--seed S]

The library is found as metalearn's README says (e.g. set
METALEARN_LIBRARY=build/lib/libmetalearn.so.0).  numpy is not needed.
"""
import argparse
import sys

import metalearn as ml


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=1000,
                        help="meta-training steps (default 1000; the paper "
                             "uses 70000)")
    parser.add_argument("--meta-batch", type=int, default=25,
                        help="tasks per meta-step (default 25)")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--test-tasks", type=int, default=50,
                        help="new tasks to measure the MSE on (default 50)")
    args = parser.parse_args(argv)

    model = ml.Model.mlp(1, [40, 40, 1], activation="relu")
    with ml.Learner(model, "maml", seed=args.seed, inner_lr=0.01) as learner, \
            ml.Sampler.sine(seed=args.seed + 1, shots=10, queries=10) as sampler:
        model.close()  # the learner has its own copy
        report = max(args.iterations // 5, 1)
        for it in range(1, args.iterations + 1):
            loss = learner.meta_step(sampler.sample_batch(args.meta_batch))
            if it % report == 0:
                print("iteration %5d  meta-loss %.3f" % (it, loss))

        # New tasks: 10 points to adapt on, 100 to measure.
        sampler.queries = 100
        tests = sampler.sample_batch(args.test_tasks)
        for steps in (0, 1, 10):
            mse = learner.evaluate(tests, steps=steps).loss
            print("new tasks, %2d step%s on 10 points: query MSE %.3f"
                  % (steps, "" if steps == 1 else "s", mse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
