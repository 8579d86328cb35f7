"""Tasks from arrays."""
import array
import math

import pytest


def test_regression_round_trip(ml, np):
    xs = np.arange(6, dtype=np.float32).reshape(3, 2)
    ys = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    xq = np.ones((4, 2), dtype=np.float32)
    yq = np.zeros(4, dtype=np.float32)
    with ml.Task.regression(xs, ys, xq, yq) as t:
        assert (t.n_support, t.n_query) == (3, 4)
        assert t.size("query") == t.size(1) == 4
        assert t.input_size == 2 and t.output_size == 1
        assert t.num_ways == 0 and not t.is_classification
        assert np.array_equal(t.inputs(), xs)
        assert t.inputs("support").dtype == np.float32
        assert np.array_equal(t.targets("support"), ys.reshape(3, 1))
        assert np.array_equal(t.inputs("query"), xq)
        assert np.array_equal(t.targets("query"), yq.reshape(4, 1))
        xs[0, 0] = 99  # the task holds a copy
        assert t.inputs()[0, 0] == 0
        assert "regression" in repr(t)


def test_regression_shapes_inferred(ml, np):
    t = ml.Task.regression(np.zeros(5), np.zeros((5, 3)))
    assert (t.input_size, t.output_size, t.n_support, t.n_query) == (1, 3, 5, 0)
    assert t.inputs("query").shape == (0, 1)
    t = ml.Task.regression(np.zeros((2, 1, 3, 3)), np.zeros((2, 1)))
    assert t.input_size == 9 and t.inputs().shape == (2, 9)


def test_regression_conversions(ml, np):
    """float64, Fortran order and strided views are converted, not refused."""
    x = np.asfortranarray(np.arange(12.0).reshape(6, 2))
    y = np.arange(12.0)[::2]
    t = ml.Task.regression(x, y, x[:3], y[:3])
    assert np.array_equal(t.inputs(), x.astype(np.float32))
    assert np.array_equal(t.targets().ravel(), y.astype(np.float32))
    t = ml.Task.regression([[0.5], [1.5]], (1, 2))
    assert t.inputs().tolist() == [[0.5], [1.5]]


def test_regression_errors(ml, np):
    with pytest.raises(ml.ShapeError, match="y_support has 2 examples, expected 3"):
        ml.Task.regression(np.zeros(3), np.zeros(2))
    with pytest.raises(ml.ShapeError, match="x_query has 3 inputs per example"):
        ml.Task.regression(np.zeros((2, 2)), np.zeros(2),
                           np.zeros((1, 3)), np.zeros(1))
    with pytest.raises(ml.ShapeError):
        ml.Task.regression(np.zeros(2), np.zeros(2), np.zeros(3), np.zeros(2))
    with pytest.raises(ml.InvalidArgument) as e:  # half a query set: C says
        ml.Task.regression(np.zeros(2), np.zeros(2), x_query=np.zeros(2))
    assert "ml_task_create_regression" in e.value.message
    with pytest.raises(ml.InvalidArgument):  # no support example
        ml.Task.regression(np.zeros(0), np.zeros(0))
    with pytest.raises(ml.NumericError) as e:
        ml.Task.regression([0.0, math.nan], [1.0, 2.0])
    assert e.value.status == -10 and isinstance(e.value, ArithmeticError)
    with pytest.raises((TypeError, ValueError)):
        ml.Task.regression(["a", "b"], [1, 2])
    with pytest.raises(TypeError):
        ml.Task()


def test_classification(ml, np):
    xs = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    ls = np.array([0, 1, 2, 0, 1, 2])
    t = ml.Task.classification(xs, ls, xs[:3], [2, 1, 0], n_ways=3)
    assert t.is_classification and t.num_ways == 3 and t.output_size == 3
    assert t.input_size == 4 and (t.n_support, t.n_query) == (6, 3)
    assert np.array_equal(t.labels(), ls) and t.labels().dtype == np.intc
    assert t.labels("query").tolist() == [2, 1, 0]
    assert np.array_equal(t.inputs("query"), xs[:3])
    assert "3-way classification" in repr(t)
    with pytest.raises(ml.Unsupported) as e:
        t.targets()
    assert e.value.status == -9 and "ml_task_get_targets" in e.value.message
    with pytest.raises(ml.Unsupported):
        ml.Task.regression([1.0], [1.0]).labels()


def test_classification_errors(ml, np):
    x = np.zeros((3, 2))
    with pytest.raises(ml.RangeError) as e:
        ml.Task.classification(x, [0, 1, 5], n_ways=3)
    assert e.value.status == -11 and isinstance(e.value, ValueError)
    with pytest.raises(ml.ShapeError):
        ml.Task.classification(x, [0, 1], n_ways=3)
    with pytest.raises(TypeError, match="integers"):
        ml.Task.classification(x, np.array([0.0, 1.0, 1.0]), n_ways=2)
    with pytest.raises(TypeError, match="n_ways"):
        ml.Task.classification(x, [0, 1, 1])
    with pytest.raises(ml.RangeError):
        ml.Task.classification(x, np.array([0, 1, 2 ** 40]), n_ways=2)
    with pytest.raises(ml.InvalidArgument):
        ml.Task.classification(x, [0, 1, 1], n_ways=0)


def test_which_set(ml):
    t = ml.Task.regression([1.0], [2.0])
    with pytest.raises(ml.InvalidArgument, match="support"):
        t.inputs("train")
    with pytest.raises(ml.InvalidArgument) as e:  # a bad ml_set: C checks
        t.inputs(7)
    assert "ml_task_get_inputs" in e.value.message


def test_closed_task(ml):
    t = ml.Task.regression([1.0], [2.0])
    t.close()
    with pytest.raises(ml.ClosedError, match="Task is closed"):
        t.inputs()
    assert "closed" in repr(t)


def test_without_numpy(ml, no_numpy):
    assert not ml.have_numpy()
    t = ml.Task.regression([[1, 2], [3, 4]], array.array("f", [5, 6]),
                           ((0, 0),), [7])
    x = t.inputs()
    assert isinstance(x, array.array) and x.typecode == "f"
    assert x.tolist() == [1, 2, 3, 4]
    assert t.targets("query").tolist() == [7]
    assert t.inputs("query").tolist() == [0, 0]
    c = ml.Task.classification([[0.0], [1.0]], (1, 0), n_ways=2)
    labels = c.labels()
    assert isinstance(labels, array.array) and labels.tolist() == [1, 0]
    assert c.labels("query").tolist() == []
    with pytest.raises(ml.ShapeError, match="ragged"):
        ml.Task.regression([[1, 2], [3]], [1, 2])
    with pytest.raises(TypeError, match="integers"):
        ml.Task.classification([[0.0]], [0.5], n_ways=2)
    with pytest.raises(ml.RangeError):
        ml.Task.classification([[0.0]], [2 ** 40], n_ways=2)
    with pytest.raises(TypeError):
        ml.Task.regression("abc", [1, 2, 3])
    with pytest.raises(TypeError):
        ml.Task.regression([object()], [1])
