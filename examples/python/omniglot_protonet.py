#!/usr/bin/env python3
"""A prototypical network on Omniglot from Python: meta-train a Conv-4
embedding on N-way K-shot episodes from one folder of Omniglot alphabets
(with rotations as new classes), then measure its accuracy on episodes
from alphabets it has never seen.

Usage: omniglot_protonet.py TRAIN_DIR TEST_DIR [--test-groups A,B,...]
                            [--ways 5] [--shots 1] [--iterations 1000]

With the data of this project (unzipped):
  omniglot_protonet.py images_background_small1 images_background_small2 \\
      --test-groups 'Japanese_(katakana),Sanskrit,Tagalog'

The library is found as metalearn's README says (e.g. set
METALEARN_LIBRARY=build/lib/libmetalearn.so.0).
"""
import argparse
import math
import sys

import metalearn as ml


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train_dir")
    parser.add_argument("test_dir")
    parser.add_argument("--test-groups", default=None,
                        help="comma-separated alphabets of TEST_DIR to test on "
                             "(default: all of TEST_DIR)")
    parser.add_argument("--ways", type=int, default=5)
    parser.add_argument("--shots", type=int, default=1)
    parser.add_argument("--queries", type=int, default=5,
                        help="query images per class in training episodes")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--episodes", type=int, default=200,
                        help="test episodes")
    parser.add_argument("--test-queries", type=int, default=15,
                        help="query images per class in test episodes")
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    with ml.Dataset.load_images(args.train_dir, 28, invert=True) as train, \
            ml.Dataset.load_images(args.test_dir, 28, invert=True) as test_all:
        test = test_all
        if args.test_groups:
            test, _ = test_all.split("groups", args.test_groups)
        print("training on %d classes, testing on %d unseen ones"
              % (train.num_classes, test.num_classes))
        episodes = ml.Sampler.episodes(train, seed=args.seed, ways=args.ways,
                                       shots=args.shots, queries=args.queries,
                                       rotations=True)
        embedding = ml.Model.conv4(1, 28, 28, filters=args.filters,
                                   blocks=args.blocks)
        with ml.Learner(embedding, "protonet", seed=args.seed) as protonet:
            report = max(args.iterations // 5, 1)
            for it in range(1, args.iterations + 1):
                loss = protonet.meta_step([episodes.sample()])
                if it % report == 0:
                    print("iteration %5d  loss %.3f" % (it, loss))

            tests = ml.Sampler.episodes(test, seed=1000, ways=args.ways,
                                        shots=args.shots, queries=args.test_queries)
            accs = [protonet.evaluate([tests.sample()]).accuracy
                    for _ in range(args.episodes)]
        mean = sum(accs) / len(accs)
        sd = math.sqrt(sum((a - mean) ** 2 for a in accs) / max(len(accs) - 1, 1))
        print("%d-way %d-shot on unseen classes: accuracy %.2f%% +/- %.2f%% "
              "over %d episodes" % (args.ways, args.shots, 100 * mean,
                                     196 * sd / math.sqrt(len(accs)), len(accs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
