"""Model and ModelView."""
import pytest


def test_mlp(ml):
    with ml.Model.mlp(1, [40, 40, 1]) as m:
        assert len(m) == m.num_layers == 5
        assert m.layers == ["dense", "relu", "dense", "relu", "dense"]
        assert m.input_size == 1 and m.output_size == 1
        assert m.num_params == (1 * 40 + 40) + (40 * 40 + 40) + (40 * 1 + 1)
        assert m.describe() == "in 1 | dense 40 | relu | dense 40 | relu | dense 1"
        assert str(m) == m.describe()
        assert "dense 40" in repr(m)
        assert m.last_error == ""


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "RELU", 3])
def test_mlp_activations(ml, act):
    m = ml.Model.mlp(2, [8, 3], activation=act)
    name = {3: "tanh"}.get(act, str(act).lower())
    assert m.layers == ["dense", name, "dense"]
    assert m.input_size == 2 and m.output_size == 3


def test_built_layer_by_layer(ml):
    m = ml.Model((1, 4, 4))
    assert m.input_size == 16
    assert len(m) == 0 and m.output_size == 0 and m.num_params == 0
    assert m.describe() == "in 1x4x4"
    assert m.add_dense(8).add_activation("tanh").add_dense(2) is m
    assert m.layers == ["dense", "tanh", "dense"]
    assert m.layer_kind(1) == "tanh"
    assert m.num_params == 16 * 8 + 8 + 8 * 2 + 2
    assert m.describe() == "in 1x4x4 | dense 8 | tanh | dense 2"


def test_long_description(ml):
    m = ml.Model(3)
    for _ in range(50):
        m.add_dense(10).add_activation("sigmoid")
    text = m.describe()
    assert len(text) > 64 * 10 and text.endswith("| sigmoid")
    assert len(m) == 100


def test_model_errors(ml):
    with pytest.raises(ml.InvalidArgument) as e:
        ml.Model((1, 2, 3, 4))
    assert e.value.status == -1 and e.value.status_name == "ML_ERR_INVALID_ARG"
    assert e.value.function == "ml_model_create"
    assert "ml_model_create" in e.value.message
    with pytest.raises(ml.InvalidArgument):
        ml.Model(0)
    with pytest.raises(ml.InvalidArgument):
        ml.Model(())
    with pytest.raises(ValueError):  # negative: refused before C
        ml.Model(-1)
    with pytest.raises(TypeError):
        ml.Model(1.5)
    m = ml.Model(2)
    with pytest.raises(ml.InvalidArgument) as e:
        m.add_dense(0)
    assert "dense layer of 0 units" in str(e.value)
    assert m.last_error == e.value.message
    with pytest.raises(ml.InvalidArgument) as e:
        m.add_activation(1)  # dense is not an activation: the library says so
    assert m.last_error == e.value.message
    with pytest.raises(ml.InvalidArgument, match="unknown activation"):
        m.add_activation("softmax")
    with pytest.raises(ml.InvalidArgument):
        ml.Model.mlp(1, [])
    with pytest.raises(ValueError):
        ml.Model.mlp(1, [4], activation="dense")
    with pytest.raises(ml.RangeError):
        m.layer_kind(7)


def test_closed_model(ml):
    m = ml.Model.mlp(1, [4, 1])
    m.close()
    assert m.closed
    m.close()  # again: nothing
    for call in (lambda: m.num_params, lambda: m.add_dense(3), m.describe,
                 lambda: len(m)):
        with pytest.raises(ml.ClosedError, match="Model is closed"):
            call()
    with pytest.raises(ml.StateError):
        m.describe()
    with pytest.raises(RuntimeError):
        m.describe()
    assert "closed" in repr(m)
    with pytest.raises(ml.ClosedError):
        with m:
            pass


def test_learner_copies_its_model(ml):
    m = ml.Model(1).add_dense(10).add_activation("relu").add_dense(1)
    learner = ml.Learner(m, "maml")
    m.add_dense(3)
    m.close()
    view = learner.model
    assert isinstance(view, ml.ModelView)
    assert view.describe() == "in 1 | dense 10 | relu | dense 1"
    assert len(view) == 3 and view.num_params == 31
    assert view.input_size == 1 and view.output_size == 1
    assert "dense 10" in repr(view) and not view.closed
    # A learner made from another learner's model.
    twin = ml.Learner(view, "fomaml", seed=5)
    assert twin.model.describe() == view.describe()
    learner.close()
    assert view.closed and "closed" in repr(view)
    with pytest.raises(ml.ClosedError):
        view.describe()
    with pytest.raises(ml.ClosedError):
        learner.model
