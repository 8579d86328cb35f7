"""None where an object or an array is needed: a TypeError, never a NULL
pointer handed to C by accident, never a crash."""
import pytest


def test_none_arrays(ml, learner, sampler):
    task = sampler.sample()
    with pytest.raises(TypeError, match="x_support must be numbers, not None"):
        ml.Task.regression(None, [1.0])
    with pytest.raises(TypeError):
        ml.Task.regression([1.0], None)
    with pytest.raises(TypeError):
        ml.Task.classification([[1.0]], None, n_ways=2)
    with pytest.raises(TypeError):
        learner.predict(task, None)
    with pytest.raises(TypeError):
        learner.meta_params = None
    with pytest.raises(TypeError):
        learner.apply_gradient(None)
    opt = ml.Optimizer("sgd")
    with pytest.raises(TypeError):
        opt.step(None, [1.0])
    import array
    with pytest.raises(TypeError):
        opt.step(array.array("f", [1.0]), None)


def test_none_objects(ml, learner, mlp):
    with pytest.raises(TypeError):
        ml.Learner(None)
    with pytest.raises(TypeError):
        learner.meta_step(None)
    with pytest.raises(TypeError):
        learner.meta_gradient([None])
    with pytest.raises(TypeError):
        learner.evaluate(None)
    with pytest.raises(TypeError):
        learner.set_optimizer(None)
    with pytest.raises(TypeError):
        learner.predict(None, [0.0])
    with pytest.raises(TypeError):
        ml.Learner.load(None)
    with pytest.raises(TypeError):
        ml.Learner.from_bytes(None)
    with pytest.raises(TypeError):
        ml.Model(None)
    with pytest.raises(TypeError):
        ml.Model.mlp(1, None)
    with pytest.raises(TypeError):
        ml.Sampler.sine(None)
    with pytest.raises((TypeError, ValueError)):
        ml.Optimizer(None)
    with pytest.raises(TypeError):
        learner.inner_lr = None
    with pytest.raises(TypeError):
        mlp.add_dense(None)


def test_null_handles_in_the_c_api(ml):
    """The C functions' own NULL checks, reached through the table with
    NULL pointers (as a careless binding would)."""
    from ctypes import byref, c_double
    from metalearn import _lib
    L = _lib.lib
    with pytest.raises(ml.InvalidArgument, match="NULL"):
        L.ml_learner_set(None, 1, 0.1)
    with pytest.raises(ml.InvalidArgument):
        L.ml_sampler_get(None, 1, byref(c_double()))
    with pytest.raises(ml.InvalidArgument):
        L.ml_learner_create(None, None, 1, 0)
    assert L.ml_model_num_params(None) == 0
    assert L.ml_learner_last_error(None) == b""
    L.ml_task_free(None)  # free(NULL) is a no-op
