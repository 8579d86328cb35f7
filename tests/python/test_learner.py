"""Learners: parameters, training, prediction, evaluation."""
import array
import math

import pytest

STRATEGIES = ["maml", "fomaml", "reptile", "metasgd", "joint"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_trains(ml, np, mlp, strategy):
    sampler = ml.Sampler.sine(seed=11)
    with ml.Learner(mlp, strategy, seed=2) as learner:
        assert learner.strategy == strategy
        n = learner.num_meta_params
        expected = mlp.num_params * (2 if strategy == "metasgd" else 1)
        assert n == expected
        before = learner.meta_params
        losses = [learner.meta_step(sampler.sample_batch(4)) for _ in range(5)]
        assert all(math.isfinite(v) and v >= 0 for v in losses)
        assert learner.iteration == 5
        assert not np.array_equal(before, learner.meta_params)
        assert strategy in repr(learner) and "iteration 5" in repr(learner)


def test_strategy_errors(ml, mlp):
    with pytest.raises(ValueError, match="unknown strategy 'mammal'"):
        ml.Learner(mlp, "mammal")
    with pytest.raises(ml.InvalidArgument) as e:  # an unknown code: C says
        ml.Learner(mlp, 42)
    assert "unknown strategy 42" in e.value.message
    with pytest.raises(ml.InvalidArgument) as e:
        ml.Learner(ml.Model(3), "maml")
    assert "ml_learner_create" in e.value.message
    with pytest.raises(ml.InvalidArgument) as e:
        ml.Learner(ml.Model(3).add_dense(2).add_activation("relu"), "maml")
    assert "dense" in e.value.message
    with pytest.raises(TypeError):
        ml.Learner("1-40-1", "maml")
    with pytest.raises(ml.InvalidArgument):
        ml.Learner(mlp, "maml", seed=-5)
    with pytest.raises(ml.InvalidArgument):
        ml.Learner(mlp, "maml", seed=2 ** 64)
    assert ml.Learner(mlp, "maml", seed=2 ** 64 - 1).strategy == "maml"


def test_parameters(ml, mlp):
    learner = ml.Learner(mlp, "maml", seed=0, inner_lr=0.05, inner_steps=3,
                         threads=2)
    assert learner.inner_lr == pytest.approx(0.05)
    assert learner.inner_steps == 3 and isinstance(learner.inner_steps, int)
    assert learner.threads == 2 and learner.iteration == 0
    learner.inner_lr = 0.02
    assert learner.get("inner_lr") == pytest.approx(0.02)
    assert learner.get(2) == 3
    learner.set(2, 4)
    assert learner.inner_steps == 4
    with pytest.raises(AttributeError):
        learner.iteration = 3
    with pytest.raises(ml.InvalidArgument) as e:
        learner.set("iteration", 3)  # read-only: the library refuses
    assert learner.last_error == e.value.message
    with pytest.raises(ml.InvalidArgument):
        learner.reptile_epsilon = 0.5  # not a MAML parameter
    with pytest.raises(ml.InvalidArgument) as e:
        learner.reptile_epsilon  # noqa: B018
    assert "maml" in e.value.message
    with pytest.raises(ml.InvalidArgument):
        learner.inner_steps = 1.5
    with pytest.raises(ml.InvalidArgument):
        learner.threads = 0
    with pytest.raises(ml.InvalidArgument, match="unknown learner parameter"):
        learner.get("outer_lr")
    with pytest.raises(TypeError, match="unexpected keyword"):
        ml.Learner(mlp, "maml", lr=0.1)


def test_reptile_parameters(ml, np, mlp, sampler):
    learner = ml.Learner(mlp, "reptile", seed=1, reptile_epsilon=0.5,
                         reptile_epsilon_final=0.1, reptile_anneal_iters=10,
                         reptile_inner_adam=1)
    assert learner.reptile_epsilon == 0.5
    assert learner.reptile_epsilon_final == pytest.approx(0.1)
    assert learner.reptile_anneal_iters == 10
    assert learner.reptile_inner_adam == 1
    # Reptile trains without query sets.
    sampler.queries = 0
    loss = learner.meta_step(sampler.sample_batch(3))
    assert math.isfinite(loss)


def test_meta_params(ml, np, learner):
    n = learner.num_meta_params
    p = learner.meta_params
    assert p.dtype == np.float32 and p.shape == (n,)
    learner.meta_params = p * 0.5
    assert np.array_equal(learner.meta_params, (p * 0.5).astype(np.float32))
    out = np.empty(n, dtype=np.float32)
    assert learner.get_meta_params(out=out) is out
    assert np.array_equal(out, learner.meta_params)
    learner.set_meta_params(p.tolist())
    assert np.array_equal(learner.meta_params, p)
    with pytest.raises(ml.ShapeError) as e:
        learner.meta_params = p[:-1]
    assert "count %d" % (n - 1) in e.value.message
    with pytest.raises(ml.ShapeError):
        learner.get_meta_params(out=np.empty(n + 1, dtype=np.float32))
    bad = p.copy()
    bad[7] = np.inf
    with pytest.raises(ml.NumericError, match="value 7 is not finite"):
        learner.meta_params = bad
    assert np.array_equal(learner.meta_params, p)  # nothing changed
    with pytest.raises(ml.InvalidArgument):
        learner.meta_params = []


def test_meta_gradient_then_apply_equals_meta_step(ml, np, mlp, sampler):
    a = ml.Learner(mlp, "maml", seed=5)
    b = ml.Learner(mlp, "maml", seed=5)
    tasks = sampler.sample_batch(4)
    loss_a = a.meta_step(tasks)
    grad, loss_b = b.meta_gradient(tasks)
    assert loss_a == loss_b
    assert grad.dtype == np.float32 and grad.shape == (b.num_meta_params,)
    assert b.iteration == 0
    b.apply_gradient(grad)
    assert b.iteration == 1
    assert np.array_equal(a.meta_params, b.meta_params)
    out = np.zeros_like(grad)
    g2, _ = b.meta_gradient(tasks, out=out)
    assert g2 is out and np.any(out != 0)
    with pytest.raises(ml.ShapeError):
        b.apply_gradient(grad[:10])
    with pytest.raises(ml.NumericError):
        b.apply_gradient(np.full_like(grad, np.nan))
    with pytest.raises(ml.ShapeError):
        b.meta_gradient(tasks, out=np.zeros(3, dtype=np.float32))


def test_meta_gradient_parts_rebuild_the_mean(ml, np, mlp, sampler):
    learner = ml.Learner(mlp, "maml", seed=5)
    tasks = sampler.sample_batch(20)
    bounds = learner.meta_gradient_parts(tasks)
    assert bounds[0] == 0 and bounds[-1] == 20 and bounds == sorted(set(bounds))
    parts = len(bounds) - 1
    assert 1 < parts < 20  # 20 tasks of one size: groups of up to 16
    grad, loss = learner.meta_gradient(tasks)
    head, head_losses = learner.meta_gradient_partial(tasks, 0, 1)
    tail, tail_losses = learner.meta_gradient_partial(tasks, 1, parts)
    sums = np.concatenate([head, tail])
    assert sums.shape == (parts, learner.num_meta_params)
    mean = sums[0].copy()
    for p in range(1, parts):
        mean += sums[p]
    mean *= np.float32(1.0) / np.float32(20)
    assert np.array_equal(mean, grad)
    losses = list(head_losses) + list(tail_losses)
    assert len(losses) == 20
    total = 0.0
    for v in losses:
        total += v
    assert total / 20 == loss
    empty, no_losses = learner.meta_gradient_partial(tasks, 1, 1)
    assert empty.shape == (0, learner.num_meta_params) and len(no_losses) == 0
    with pytest.raises(ml.InvalidArgument):
        learner.meta_gradient_partial(tasks, 0, parts + 1)
    with pytest.raises(ml.InvalidArgument):
        learner.meta_gradient_partial(tasks, 2, 1)


def test_set_optimizer(ml, np, mlp, sampler):
    tasks = sampler.sample_batch(3)
    adam = ml.Learner(mlp, "fomaml", seed=1)
    sgd = ml.Learner(mlp, "fomaml", seed=1)
    opt = ml.Optimizer("sgd", lr=0.1)
    sgd.set_optimizer(opt)
    opt.close()  # the learner keeps a copy of the settings
    start = sgd.meta_params
    grad, _ = sgd.meta_gradient(tasks)
    sgd.apply_gradient(grad)
    assert np.allclose(sgd.meta_params, start - 0.1 * grad, atol=1e-6)
    adam.meta_step(tasks)
    assert not np.array_equal(adam.meta_params, sgd.meta_params)
    with pytest.raises(TypeError):
        sgd.set_optimizer("sgd")
    with pytest.raises(ml.ClosedError):
        sgd.set_optimizer(opt)


def test_predict_regression(ml, np, learner, sampler):
    task = sampler.sample()
    x = np.linspace(-5, 5, 7, dtype=np.float32)
    y = learner.predict(task, x)
    assert y.shape == (7, 1) and y.dtype == np.float32
    assert np.array_equal(learner.predict(task, x.reshape(7, 1)), y)
    assert np.array_equal(learner.predict(task, x.astype(np.float64).tolist()), y)
    out = np.empty((7, 1), dtype=np.float32)
    assert learner.predict(task, x, out=out) is out
    assert np.array_equal(out, y)
    # steps: 0 uses the meta-parameters as they are, more adapt further.
    y0 = learner.predict(task, x, steps=0)
    y5 = learner.predict(task, x, steps=5)
    assert not np.array_equal(y0, y) and not np.array_equal(y5, y)
    assert np.array_equal(learner.predict(task, x, steps=-1),
                          learner.predict(task, x, steps=learner.inner_steps))
    assert learner.predict(task, [0.5]).shape == (1, 1)


def test_predict_errors(ml, np, learner, sampler):
    task = sampler.sample()
    with pytest.raises(ml.ShapeError, match="2 values per example"):
        learner.predict(task, np.zeros((3, 2)))
    with pytest.raises(ml.ShapeError):
        learner.predict(task, np.zeros(3), out=np.zeros(2, dtype=np.float32))
    with pytest.raises(ml.InvalidArgument):  # no input: the library says
        learner.predict(task, [])
    with pytest.raises(ml.NumericError, match="input 1 is not finite"):
        learner.predict(task, [0.0, np.nan])
    wide = ml.Task.regression(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ml.ShapeError) as e:
        learner.predict(wide, np.zeros((1, 3)))
    assert "3 inputs" in e.value.message
    with pytest.raises(TypeError):
        learner.predict(None, [0.0])
    with pytest.raises(ml.InvalidArgument):
        learner.predict(task, [0.0], steps=2 ** 40)
    with pytest.raises(ml.ShapeError, match="not examples of 2 values"):
        learner.predict(ml.Task.regression(np.zeros((2, 2)), np.zeros(2)),
                        np.zeros(3))


def _classification_tasks(ml, np, n, rng):
    """2-way tasks on 2-D points: the class is the sign of a random
    direction."""
    tasks = []
    for _ in range(n):
        w = rng.normal(size=2)
        x = rng.normal(size=(20, 2)).astype(np.float32)
        labels = (x @ w > 0).astype(np.int64)
        tasks.append(ml.Task.classification(x[:10], labels[:10], x[10:],
                                            labels[10:], n_ways=2))
    return tasks


def test_classification_predict_and_evaluate(ml, np):
    rng = np.random.default_rng(0)
    model = ml.Model.mlp(2, [16, 2], activation="tanh")
    learner = ml.Learner(model, "maml", seed=4, inner_lr=0.1)
    for _ in range(10):
        learner.meta_step(_classification_tasks(ml, np, 4, rng))
    tasks = _classification_tasks(ml, np, 5, rng)
    res = learner.evaluate(tasks, steps=3)
    assert isinstance(res, ml.EvalResult)
    assert 0.0 <= res.accuracy <= 1.0 and math.isfinite(res.loss)
    assert res.per_task.shape == (5,) and res.per_task.dtype == np.float64
    assert res.loss == pytest.approx(res.per_task.mean())
    scores, labels = learner.predict(tasks[0], tasks[0].inputs("query"))
    assert scores.shape == (10, 2) and labels.shape == (10,)
    assert np.array_equal(labels, scores.argmax(axis=1))


def test_evaluate_regression(ml, np, learner, sampler):
    tasks = sampler.sample_batch(6)
    loss, acc, per_task = learner.evaluate(tasks, steps=2)
    assert math.isnan(acc) and math.isfinite(loss)
    assert len(per_task) == 6 and loss == pytest.approx(float(np.mean(per_task)))
    single = learner.evaluate(tasks[2], steps=2)
    assert single.per_task[0] == per_task[2]
    # A generator of tasks works: the list built from it keeps them alive.
    res = learner.evaluate((sampler.sample() for _ in range(3)), steps=0)
    assert len(res.per_task) == 3


def test_task_list_errors(ml, np, learner, sampler):
    with pytest.raises(ml.InvalidArgument, match="no tasks"):
        learner.meta_step([])
    with pytest.raises(TypeError):
        learner.meta_step([sampler.sample(), "task"])
    with pytest.raises(TypeError):
        learner.meta_step(42)
    wide = ml.Task.regression(np.zeros((2, 3)), np.zeros(2), np.zeros((2, 3)),
                              np.zeros(2))
    with pytest.raises(ml.ShapeError) as e:
        learner.meta_step([sampler.sample(), wide])
    assert "task 1 has 3 inputs" in e.value.message
    assert learner.last_error == e.value.message
    no_query = ml.Task.regression(np.zeros(2), np.zeros(2))
    with pytest.raises(ml.InvalidArgument, match="no query set"):
        learner.meta_step([no_query])
    with pytest.raises(ml.InvalidArgument):
        learner.evaluate([no_query])
    closed = sampler.sample()
    closed.close()
    with pytest.raises(ml.ClosedError):
        learner.meta_step([sampler.sample(), closed])
    assert learner.iteration == 0


def test_threads_give_identical_results(ml, np, mlp):
    results = []
    for threads in (1, 2, 3):
        sampler = ml.Sampler.sine(seed=21)
        learner = ml.Learner(mlp, "maml", seed=8, threads=threads)
        for _ in range(3):
            learner.meta_step(sampler.sample_batch(5))
        results.append(learner.meta_params)
    assert np.array_equal(results[0], results[1])
    assert np.array_equal(results[0], results[2])


def test_without_numpy(ml, no_numpy, learner, sampler):
    task = sampler.sample()
    y = learner.predict(task, [0.0, 1.0, 2.0])
    assert isinstance(y, array.array) and y.typecode == "f" and len(y) == 3
    out = array.array("f", [0.0] * 3)
    assert learner.predict(task, [[0.0], [1.0], [2.0]], out=out) is out
    assert out == y
    p = learner.meta_params
    assert isinstance(p, array.array) and len(p) == learner.num_meta_params
    g, loss = learner.meta_gradient([task])
    assert isinstance(g, array.array) and math.isfinite(loss)
    learner.apply_gradient(g)
    learner.meta_params = p
    assert learner.meta_params == p
    res = learner.evaluate([task, sampler.sample()])
    assert isinstance(res.per_task, array.array) and res.per_task.typecode == "d"
    c = ml.Task.classification([[0.0], [1.0]], [0, 1], [[0.5]], [1], n_ways=2)
    cl = ml.Learner(ml.Model.mlp(1, [4, 2]), "fomaml")
    scores, labels = cl.predict(c, [0.25, 0.75])
    assert len(scores) == 4 and isinstance(labels, array.array)
    assert labels.typecode == "i" and len(labels) == 2
