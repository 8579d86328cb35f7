"""Object lifetimes, finalisers and threads."""
import gc
import threading

import pytest


def test_finalizer_frees_on_collection(ml, sampler):
    t = sampler.sample()
    fin = t._finalizer
    assert fin.alive
    del t
    gc.collect()
    assert not fin.alive  # ml_task_free ran


def test_close_frees_once(ml):
    m = ml.Model.mlp(1, [2, 1])
    fin = m._finalizer
    m.close()
    assert not fin.alive and m.closed
    m.close()
    del m
    gc.collect()


def test_context_managers(ml, mlp):
    with ml.Learner(mlp, "maml") as learner, ml.Optimizer("sgd") as opt:
        learner.set_optimizer(opt)
    assert learner.closed and opt.closed
    with pytest.raises(ml.ClosedError, match="Learner is closed"):
        learner.meta_params  # noqa: B018
    assert "closed" in repr(learner)


def test_tasks_only_referenced_by_the_call(ml, learner, sampler):
    """Tasks made inside the argument have no other reference: the binding
    keeps them alive until the C call returns."""
    loss = learner.meta_step(sampler.sample() for _ in range(8))
    grad, loss2 = learner.meta_gradient([sampler.sample() for _ in range(4)])
    assert loss > 0 and loss2 > 0
    gc.collect()


def test_learner_outlives_everything_it_was_made_from(ml, sampler):
    model = ml.Model.mlp(1, [8, 1])
    opt = ml.Optimizer("adam", lr=0.01)
    learner = ml.Learner(model, "fomaml")
    learner.set_optimizer(opt)
    del model, opt
    gc.collect()
    assert learner.model.num_params == 8 + 8 + 8 + 1
    learner.meta_step(sampler.sample_batch(2))


def test_closing_from_another_thread_waits_for_the_call(ml, mlp):
    """close() during a meta_step on another thread waits for it (no
    use-after-free); the training thread then sees a closed learner."""
    sampler = ml.Sampler.sine(seed=1, shots=50, queries=50)
    learner = ml.Learner(mlp, "maml", seed=0, inner_steps=5)
    tasks = sampler.sample_batch(20)
    started = threading.Event()
    errors = []

    def train():
        try:
            while True:
                started.set()
                learner.meta_step(tasks)
        except ml.ClosedError:
            pass
        except BaseException as e:  # reported below
            errors.append(e)

    th = threading.Thread(target=train)
    th.start()
    started.wait()
    learner.close()
    th.join(60)
    assert not th.is_alive() and not errors


def test_one_learner_shared_by_threads(ml, np, mlp):
    """Calls on one learner from several threads are serialised."""
    learner = ml.Learner(mlp, "fomaml", seed=0)
    batches = [ml.Sampler.sine(seed=i).sample_batch(3) for i in range(4)]
    errors = []

    def train(batch):
        try:
            for _ in range(10):
                learner.meta_step(batch)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=train, args=(b,)) for b in batches]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors and learner.iteration == 40
    assert np.all(np.isfinite(learner.meta_params))


def test_learners_in_parallel_threads_match_sequential(ml, np, mlp):
    def run(seed):
        sampler = ml.Sampler.sine(seed=seed)
        learner = ml.Learner(mlp, "maml", seed=seed)
        for _ in range(10):
            learner.meta_step(sampler.sample_batch(5))
        return learner.meta_params

    sequential = [run(s) for s in range(3)]
    parallel = [None] * 3

    def work(i):
        parallel[i] = run(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    for a, b in zip(sequential, parallel):
        assert np.array_equal(a, b)


def test_handles_cannot_be_copied_except_learners(ml, np, learner, sampler):
    import copy
    import pickle
    for obj in (ml.Model(1), sampler, sampler.sample(), ml.Optimizer()):
        with pytest.raises(TypeError, match="cannot pickle or copy"):
            copy.copy(obj)
        with pytest.raises(TypeError):
            pickle.dumps(obj)
    twin = copy.deepcopy(learner)
    assert twin is not learner and twin._ptr is not learner._ptr
    learner.close()
    assert np.all(np.isfinite(twin.meta_params))
