#!/usr/bin/env python3
"""The learned LSTM optimiser on your own objective: meta-train it on
random least-squares problems written in numpy, then compare it with Adam
(its learning rate tuned) on fresh problems of the same family.

Usage: learned_optimizer.py [--meta-steps N] [--problems P] [--horizon T]
                            [--unroll U] [--test-problems M] [--save PATH]

The library is found as metalearn's README says (e.g. set
METALEARN_LIBRARY=build/lib/libmetalearn.so.0).  Needs numpy.
"""
import argparse
import sys

import numpy as np

import metalearn as ml

DIM, ROWS = 10, 20


def sample(seed):
    """Problem `seed`: least squares on 20 noisy examples of a random
    linear model, features on scales from 0.2 to 2 (so one learning rate
    does not suit every coordinate).  Returns (theta0, problem)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, DIM)) * rng.uniform(0.2, 2.0, size=DIM)
    y = x @ rng.normal(size=DIM) + 0.1 * rng.normal(size=ROWS)
    return np.zeros(DIM), (x, y)


def objective(problem, theta):
    """Mean squared error and its gradient."""
    x, y = problem
    r = x @ theta - y
    return r @ r / ROWS, 2 * x.T @ r / ROWS


def mean_final_loss(family, opt, seeds, steps):
    return float(np.mean([family.run(opt, s, steps)[-1] for s in seeds]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meta-steps", type=int, default=300,
                        help="meta-training steps (default 300)")
    parser.add_argument("--problems", type=int, default=32,
                        help="problems per meta-step (default 32)")
    parser.add_argument("--horizon", type=int, default=50,
                        help="steps per problem, in training and test (default 50)")
    parser.add_argument("--unroll", type=int, default=10,
                        help="steps per truncated back-propagation (default 10)")
    parser.add_argument("--test-problems", type=int, default=50,
                        help="fresh problems to compare on (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--save", metavar="PATH",
                        help="save the learned optimiser there")
    args = parser.parse_args(argv)

    family = ml.Problems.from_callbacks(DIM, sample, objective)
    lstm = ml.Optimizer("lstm", problems=args.problems, horizon=args.horizon,
                        unroll=args.unroll, seed=args.seed)
    report = max(args.meta_steps // 10, 1)
    for step in range(1, args.meta_steps + 1):
        loss = lstm.meta_step(family)
        if step % report == 0:
            print("meta-step %5d  meta-loss %.4f" % (step, loss))

    # The LSTM's problems come from 64-bit seeds drawn from its own seed;
    # these small seeds are problems it has not seen.
    tune = range(1000, 1010)
    test = range(2000, 2000 + args.test_problems)
    steps = args.horizon
    lr = min((0.01, 0.03, 0.1, 0.3, 1.0), key=lambda r: mean_final_loss(
        family, ml.Optimizer("adam", lr=r), tune, steps))
    print("Adam's learning rate, tuned on %d other problems: %g" % (len(tune), lr))
    print("%d fresh problems, %d steps each: mean final loss"
          % (len(test), steps))
    print("  learned LSTM  %.6f" % mean_final_loss(family, lstm, test, steps))
    print("  Adam          %.6f"
          % mean_final_loss(family, ml.Optimizer("adam", lr=lr), test, steps))

    # In your own loop: step() updates float32 parameters in place.
    theta, problem = sample(test[0])
    theta = theta.astype(np.float32)
    lstm.reset()  # fresh hidden state for a new problem
    for _ in range(steps):
        _, grad = objective(problem, theta)
        lstm.step(theta, grad)
    print("your own loop on problem %d: final loss %.6f (run(): %.6f)"
          % (test[0], objective(problem, theta)[0],
             family.run(lstm, test[0], steps)[-1]))

    if args.save:
        lstm.save(args.save)
        print("saved to %s" % args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
