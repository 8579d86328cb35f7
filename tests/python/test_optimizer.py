"""Optimisers used directly."""
import array
import math

import pytest


def test_kinds_and_parameters(ml):
    for kind in ("sgd", "adam", "rmsprop", "ADAM", 1):
        with ml.Optimizer(kind) as opt:
            assert opt.kind in ("sgd", "adam", "rmsprop")
            assert opt.lr > 0
            assert opt.last_error == ""
    opt = ml.Optimizer("adam", lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6,
                       weight_decay=0.1)
    assert opt.lr == pytest.approx(0.01) and opt.beta1 == pytest.approx(0.8)
    assert opt.beta2 == pytest.approx(0.99) and opt.eps == pytest.approx(1e-6)
    assert opt.weight_decay == pytest.approx(0.1)
    opt.lr = 0.5
    assert opt.get("lr") == 0.5 and opt.get(1) == 0.5
    sgd = ml.Optimizer("sgd", momentum=0.9, nesterov=1)
    assert sgd.momentum == pytest.approx(0.9) and sgd.nesterov == 1
    rms = ml.Optimizer("rmsprop", rms_decay=0.9)
    assert rms.rms_decay == pytest.approx(0.9)
    assert "rmsprop" in repr(rms)


def test_sgd_step_in_place(ml, np):
    opt = ml.Optimizer("sgd", lr=0.5)
    params = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    ret = opt.step(params, [2.0, 2.0, -2.0])
    assert ret is params
    assert params.tolist() == [0.0, 1.0, 4.0]
    opt.step(params, np.ones(3))  # float64 grads are converted
    assert params.tolist() == [-0.5, 0.5, 3.5]


def test_adam_state_and_reset(ml, np):
    opt = ml.Optimizer("adam", lr=0.1)
    a = np.zeros(4, dtype=np.float32)
    g = np.array([1, -1, 2, 0], dtype=np.float32)
    opt.step(a, g)
    first = a.copy()
    # Bias-corrected Adam moves every coordinate with a gradient by ~lr.
    assert np.allclose(np.abs(first[:3]), 0.1, rtol=1e-4) and first[3] == 0
    opt.step(a, g)
    opt.reset()
    b = np.zeros(4, dtype=np.float32)
    opt.step(b, g)
    assert np.array_equal(b, first)


def test_step_errors(ml, np):
    opt = ml.Optimizer("sgd", lr=0.1)
    with pytest.raises(TypeError, match="float32"):
        opt.step(np.zeros(3), np.zeros(3))  # float64 params cannot be updated
    with pytest.raises(TypeError, match="contiguous"):
        opt.step(np.zeros(6, dtype=np.float32)[::2], np.zeros(3))
    ro = np.zeros(3, dtype=np.float32)
    ro.flags.writeable = False
    with pytest.raises(TypeError, match="read-only"):
        opt.step(ro, np.zeros(3))
    with pytest.raises(TypeError):
        opt.step([0.0, 1.0], [0.0, 1.0])  # a list cannot be updated in place
    with pytest.raises(ml.ShapeError, match="grads has 2 values"):
        opt.step(np.zeros(3, dtype=np.float32), np.zeros(2))
    p = np.zeros(3, dtype=np.float32)
    opt.step(p, np.ones(3))
    with pytest.raises(ml.ShapeError) as e:  # the first step fixed n = 3
        opt.step(np.zeros(4, dtype=np.float32), np.ones(4))
    assert e.value.function == "ml_optimizer_step"
    assert opt.last_error == e.value.message
    before = p.copy()
    with pytest.raises(ml.NumericError):
        opt.step(p, [1.0, math.nan, 1.0])
    assert np.array_equal(p, before)  # untouched on failure
    with pytest.raises(ml.InvalidArgument):
        opt.step(np.zeros(0, dtype=np.float32), [])


def test_parameter_errors(ml):
    with pytest.raises(ValueError, match="unknown optimizer"):
        ml.Optimizer("lbfgs")
    with pytest.raises(ml.InvalidArgument):
        ml.Optimizer(9)
    with pytest.raises(TypeError, match="unexpected keyword"):
        ml.Optimizer("sgd", learning_rate=0.1)
    with pytest.raises(ml.InvalidArgument) as e:
        ml.Optimizer("sgd", lr=-1)
    assert "out of range" in e.value.message
    opt = ml.Optimizer("adam")
    with pytest.raises(ml.InvalidArgument):
        opt.momentum = 0.5  # not an Adam parameter: the library says so
    with pytest.raises(ml.InvalidArgument, match="unknown optimizer parameter"):
        opt.get("gamma")
    with pytest.raises(TypeError):
        opt.lr = "fast"
    opt.close()
    with pytest.raises(ml.ClosedError):
        opt.reset()
    assert "closed" in repr(opt)


def test_without_numpy(ml, no_numpy):
    opt = ml.Optimizer("sgd", lr=1.0)
    p = array.array("f", [1.0, 2.0])
    assert opt.step(p, (0.5, 0.5)) is p
    assert p.tolist() == [0.5, 1.5]
    with pytest.raises(TypeError, match="float32"):
        opt.step(array.array("d", [1.0, 2.0]), [0, 0])
