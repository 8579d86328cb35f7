"""Problem families defined by Python callables
(Problems.from_callbacks): what crosses between C and Python, errors
raised inside the callables, and how long the callables must live."""
import array
import gc
import math
import sys
import weakref

import pytest

import quadratic_reference


def least_squares(np, n, rows=8):
    """(sample, objective) of random least-squares problems
    0.5 ||A theta - b||^2 in numpy, float64 inside."""

    def sample(seed):
        rng = np.random.default_rng(seed)
        a, b = rng.normal(size=(rows, n)), rng.normal(size=rows)
        return rng.normal(size=n), (a, b)

    def objective(problem, theta):
        a, b = problem
        r = a @ theta - b
        return 0.5 * r @ r, a.T @ r

    return sample, objective


# ---- what crosses the boundary ----------------------------------------------

def test_the_callback_quadratic_is_the_builtin_one(ml, np):
    """The built-in quadratic family rewritten in Python gives the same
    losses and the same meta-training bit for bit."""
    builtin = ml.Problems.quadratic(4)
    mine = ml.Problems.from_callbacks(4, *quadratic_reference.family(4))
    assert mine.dim == 4 and "callbacks" in repr(mine)
    for kind, kw in (("sgd", {"lr": 0.01}), ("adam", {"lr": 0.1}),
                     ("lstm", {"hidden": 5})):
        expected = builtin.run(ml.Optimizer(kind, **kw), 7, 30)
        assert np.array_equal(mine.run(ml.Optimizer(kind, **kw), 7, 30), expected)
    a = ml.Optimizer("lstm", hidden=5, problems=4, horizon=6, unroll=3)
    b = ml.Optimizer("lstm", hidden=5, problems=4, horizon=6, unroll=3)
    for _ in range(3):   # across a trajectory's end: fresh problems drawn
        assert a.meta_step(builtin) == b.meta_step(mine)
    assert np.array_equal(a.weights, b.weights)


def test_run_follows_the_numpy_sgd_trajectory(ml, np):
    n, lr, steps = 5, 0.05, 12
    sample, objective = least_squares(np, n)
    seen = []

    def recording(problem, theta):
        seen.append(theta)      # kept: each is the callable's own copy
        return objective(problem, theta)

    losses = ml.Problems.from_callbacks(n, sample, recording).run(
        ml.Optimizer("sgd", lr=lr), seed=3, steps=steps)
    theta0, problem = sample(3)
    theta = theta0.astype(np.float32)
    expected = []
    for s in range(steps + 1):
        assert seen[s].dtype == np.float32 and seen[s].shape == (n,)
        assert np.allclose(seen[s], theta, rtol=1e-5, atol=1e-6)
        value, grad = objective(problem, theta.astype(np.float64))
        expected.append(value)
        theta = theta - np.float32(lr) * grad.astype(np.float32)
    assert len(seen) == steps + 1
    assert np.allclose(losses, expected, rtol=1e-5)
    assert not np.array_equal(seen[0], seen[-1])


def test_problem_objects_and_release(ml, np):
    """Any Python object is a problem; each is released once."""
    made, released = [], []

    class Problem:
        def __init__(self, seed):
            self.seed = seed

    def sample(seed):
        p = Problem(seed)
        made.append(p)
        return [0.5, -0.5], p

    def objective(problem, theta):
        assert isinstance(problem, Problem)
        return float(theta @ theta) + problem.seed % 3, 2 * theta

    family = ml.Problems.from_callbacks(2, sample, objective, released.append)
    losses = family.run(ml.Optimizer("sgd", lr=0.25), 5, 2)
    assert list(losses) == [2.5, 2.125, 2.03125]   # 0.5 + 5 % 3, halving
    assert released == made and len(made) == 1
    opt = ml.Optimizer("lstm", hidden=3, problems=3, horizon=4, unroll=2)
    opt.meta_step(family)
    assert len(made) == 4 and len(released) == 1   # three in flight
    opt.meta_step(family)
    assert len(released) == 1                      # t = 2 + 2 = horizon
    opt.meta_step(family)                          # fresh ones drawn
    assert len(made) == 7 and released == made[:4]
    opt.close()                                    # frees those in flight
    assert sorted(map(id, released)) == sorted(map(id, made))
    assert family._thunks.problems == {}


def test_numpy_and_plain_inputs(ml, np):
    """Callables may return numpy arrays of any dtype, lists or tuples."""
    variants = [
        lambda s: (np.ones(3), None),
        lambda s: (np.ones(3, dtype=np.float32), None),
        lambda s: ([1, 1, 1], None),
        lambda s: ((1.0, 1.0, 1.0), None),
    ]
    objectives = [
        lambda p, t: (np.float32(t @ t), 2 * t),
        lambda p, t: (np.array(t @ t), list(2 * t)),
        lambda p, t: (float(t @ t), tuple(2.0 * float(x) for x in t)),
    ]
    results = []
    for sample in variants:
        for objective in objectives:
            family = ml.Problems.from_callbacks(3, sample, objective)
            results.append(family.run(ml.Optimizer("sgd", lr=0.25), 0, 3))
    for r in results:
        assert np.allclose(r, [3.0, 0.75, 0.1875, 0.046875])


def test_without_numpy(ml, no_numpy):
    seen = []

    def objective(problem, theta):
        seen.append(theta)
        return sum(x * x for x in theta), [2 * x for x in theta]

    family = ml.Problems.from_callbacks(2, lambda s: ([1.0, 2.0], s), objective)
    losses = family.run(ml.Optimizer("sgd", lr=0.25), 0, 2)
    assert isinstance(losses, array.array) and list(losses) == [5.0, 1.25, 0.3125]
    assert isinstance(seen[0], array.array) and seen[0].typecode == "f"
    assert list(seen[1]) == [0.5, 1.0]


# ---- errors inside the callables -------------------------------------------

class Boom(Exception):
    pass


def raising(*_args):
    raise Boom("from the caller's code")


def good_sample(seed):
    return [1.0, 1.0], seed


def good_objective(problem, theta):
    return float(sum(x * x for x in theta)), [2 * x for x in theta]


@pytest.mark.parametrize("which", ["sample", "objective"])
def test_an_exception_in_a_callable_is_raised_by_the_call(ml, which):
    sample = raising if which == "sample" else good_sample
    objective = raising if which == "objective" else good_objective
    family = ml.Problems.from_callbacks(2, sample, objective)
    opt = ml.Optimizer("lstm", hidden=3, problems=2, horizon=4, unroll=2)
    with pytest.raises(Boom) as e:
        family.run(opt, 1, 3)
    assert "raising" in str(e.traceback[-1])   # the caller's own frame
    with pytest.raises(Boom):
        opt.meta_step(family)
    assert "callback failed" in opt.last_error  # what the library saw
    assert "callback failed" in ml.last_error()
    # Nothing is left behind: the next calls work.
    good = ml.Problems.from_callbacks(2, good_sample, good_objective)
    assert math.isfinite(opt.meta_step(good))
    assert good.run(ml.Optimizer("sgd", lr=0.25), 1, 1)[1] == 0.5


def test_base_exceptions_cross_too(ml):
    def interrupted(problem, theta):
        raise KeyboardInterrupt

    family = ml.Problems.from_callbacks(2, good_sample, interrupted)
    with pytest.raises(KeyboardInterrupt):
        family.run(ml.Optimizer("sgd"), 1, 3)


@pytest.mark.parametrize("objective, error, message", [
    (lambda p, t: (math.nan, [0.0, 0.0]), "NumericError", "objective"),
    (lambda p, t: (1.0, [0.0, math.inf]), "NumericError", "gradient"),
])
def test_non_finite_results(ml, np, objective, error, message):
    family = ml.Problems.from_callbacks(2, good_sample, objective)
    with pytest.raises(getattr(ml, error), match=message) as e:
        family.run(ml.Optimizer("sgd"), 1, 3)
    assert e.value.function == "ml_problems_run"
    assert np.isnan(e.value.losses).all()
    opt = ml.Optimizer("lstm", hidden=3, problems=2, horizon=4, unroll=2)
    with pytest.raises(getattr(ml, error), match=message):
        opt.meta_step(family)


def test_non_finite_start(ml):
    family = ml.Problems.from_callbacks(2, lambda s: ([0.0, math.nan], s),
                                        good_objective)
    with pytest.raises(ml.NumericError, match="starting parameter 1"):
        family.run(ml.Optimizer("sgd"), 1, 3)


@pytest.mark.parametrize("sample, objective, error, match", [
    (lambda s: ([1.0], s), good_objective, "ShapeError", "theta0 has 1 values"),
    (lambda s: ([1.0, 2.0, 3.0], s), good_objective, "ShapeError", "theta0"),
    (good_sample, lambda p, t: (1.0, [0.0]), "ShapeError", "grad has 1 values"),
    (lambda s: [1.0, 1.0, 1.0], good_objective, TypeError, "must return a pair"),
    (good_sample, lambda p, t: 1.0, TypeError, r"\(value, grad\)"),
    (good_sample, lambda p, t: ("low", [0.0, 0.0]), TypeError, "value"),
    (good_sample, lambda p, t: (1.0, None), TypeError, "None"),
])
def test_wrong_results(ml, sample, objective, error, match):
    error = getattr(ml, error) if isinstance(error, str) else error
    family = ml.Problems.from_callbacks(2, sample, objective)
    with pytest.raises(error, match=match):
        family.run(ml.Optimizer("sgd"), 1, 3)


def test_an_exception_in_release_goes_to_the_hook(ml, monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    family = ml.Problems.from_callbacks(2, good_sample, good_objective, raising)
    losses = family.run(ml.Optimizer("sgd", lr=0.25), 1, 1)
    assert list(losses) == [2.0, 0.5]   # the run itself succeeded
    assert len(reported) == 1 and isinstance(reported[0].exc_value, Boom)


def test_constructor_errors(ml):
    with pytest.raises(ml.InvalidArgument) as e:
        ml.Problems.from_callbacks(0, good_sample, good_objective)
    assert e.value.function == "ml_problems_create_callback"
    with pytest.raises(ml.InvalidArgument):
        ml.Problems.from_callbacks(2 ** 26 + 1, good_sample, good_objective)
    with pytest.raises(ml.InvalidArgument):
        ml.Problems.from_callbacks(-1, good_sample, good_objective)
    with pytest.raises(TypeError, match="sample must be callable"):
        ml.Problems.from_callbacks(2, None, good_objective)
    with pytest.raises(TypeError, match="objective must be callable"):
        ml.Problems.from_callbacks(2, good_sample, 3)
    with pytest.raises(TypeError, match="release"):
        ml.Problems.from_callbacks(2, good_sample, good_objective, "no")


def test_exact_mode_is_unsupported_and_keeps_the_family_in_flight(ml):
    released = []
    first = ml.Problems.from_callbacks(2, good_sample, good_objective,
                                       released.append)
    opt = ml.Optimizer("lstm", hidden=3, problems=2, horizon=4, unroll=2)
    opt.meta_step(first)
    opt.exact = 1
    with pytest.raises(ml.Unsupported, match="no exact variant"):
        opt.meta_step(ml.Problems.from_callbacks(2, good_sample, good_objective))
    # The failed call left the first family's problems in flight; its
    # callables must still be there when they are released.
    del first
    gc.collect()
    assert released == []
    opt.close()
    assert len(released) == 2


# ---- lifetimes ------------------------------------------------------------

def test_the_optimizer_keeps_the_callables_alive(ml):
    """The family's handle and Python object may go while the optimiser
    has its problems in flight: they are released later, through
    callables that must still exist."""
    released = []

    def release(problem):
        released.append(problem)

    family = ml.Problems.from_callbacks(2, good_sample, good_objective, release)
    thunks = weakref.ref(family._thunks)
    opt = ml.Optimizer("lstm", hidden=3, problems=3, horizon=8, unroll=2)
    opt.meta_step(family)
    family.close()
    del family
    gc.collect()
    assert thunks() is not None and released == []
    # Settings that restart the trajectories release the problems now.
    opt.horizon = 6
    assert len(released) == 3
    # Once another family is in flight, the callables may go.
    opt.meta_step(ml.Problems.quadratic(2))
    gc.collect()
    assert thunks() is None


def test_garbage_collected_optimizer_releases_its_problems(ml):
    released = []
    family = ml.Problems.from_callbacks(2, good_sample, good_objective,
                                        released.append)
    thunks = weakref.ref(family._thunks)
    opt = ml.Optimizer("lstm", hidden=3, problems=2, horizon=4, unroll=2)
    opt.meta_step(family)
    del family, opt   # no close(): the finalizers, in whatever order
    gc.collect()
    assert len(released) == 2
    assert thunks() is None


def test_switching_families_releases_the_old_problems(ml):
    released = []
    a = ml.Problems.from_callbacks(2, good_sample, good_objective,
                                   lambda p: released.append(("a", p)))
    b = ml.Problems.from_callbacks(2, good_sample, good_objective,
                                   lambda p: released.append(("b", p)))
    opt = ml.Optimizer("lstm", hidden=3, problems=2, horizon=8, unroll=2)
    opt.meta_step(a)
    opt.meta_step(b)
    assert [tag for tag, _ in released] == ["a", "a"]
    assert opt._families == [b]
    opt.set_weights(opt.weights)   # clears the trajectories too
    assert [tag for tag, _ in released] == ["a", "a", "b", "b"]


def test_closed_family(ml):
    family = ml.Problems.from_callbacks(2, good_sample, good_objective)
    family.close()
    with pytest.raises(ml.ClosedError):
        family.run(ml.Optimizer("sgd"), 1, 3)
    with pytest.raises(ml.ClosedError):
        ml.Optimizer("lstm").meta_step(family)
    with pytest.raises(ml.ClosedError):
        family.dim
