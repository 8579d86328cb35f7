"""The learned LSTM optimiser: settings, weights, meta-training, the
built-in problem families, running optimisers on them, saving and
loading.  Python callback families are in test_problem_callbacks.py."""
import array
import math

import pytest


def small_lstm(ml, **kw):
    """An LSTM optimiser small enough for a test to meta-train."""
    settings = dict(hidden=6, problems=4, horizon=6, unroll=3)
    settings.update(kw)
    return ml.Optimizer("lstm", **settings)


def weight_count(hidden, inputs):
    # The header's formula: (in + H) 4H + 4H + 2H 4H + 4H + H + 1.
    h = hidden
    return (inputs + h) * 4 * h + 4 * h + 2 * h * 4 * h + 4 * h + h + 1


# ---- settings -------------------------------------------------------------

def test_lstm_defaults(ml):
    opt = ml.Optimizer("lstm")
    assert opt.kind == "lstm"
    assert (opt.hidden, opt.preprocess, opt.horizon, opt.unroll) == (20, 1, 100, 20)
    assert (opt.problems, opt.exact, opt.seed, opt.meta_steps) == (128, 0, 1, 0)
    assert isinstance(opt.hidden, int) and isinstance(opt.meta_steps, int)
    assert opt.output_scale == pytest.approx(0.1)
    assert opt.meta_lr == pytest.approx(0.003) and opt.loss_power == 0.0
    assert opt.num_weights == weight_count(20, 2) == 5141
    assert "lstm" in repr(opt) and "0 meta-steps" in repr(opt)
    assert ml.Optimizer(4).kind == "lstm"


def test_lstm_settings_and_errors(ml):
    opt = ml.Optimizer("lstm", hidden=3, preprocess=0, output_scale=0.5,
                       meta_lr=0.01, problems=2, exact=1, loss_power=1.5)
    assert opt.num_weights == weight_count(3, 1)
    assert (opt.hidden, opt.preprocess, opt.problems, opt.exact) == (3, 0, 2, 1)
    assert opt.output_scale == 0.5 and opt.loss_power == 1.5
    with pytest.raises(ml.InvalidArgument) as e:
        opt.lr  # not a setting of the LSTM: the library says so
    assert e.value.function == "ml_optimizer_get"
    with pytest.raises(ml.InvalidArgument):
        opt.hidden = 0
    with pytest.raises(ml.InvalidArgument):
        opt.unroll = 0
    with pytest.raises(ml.InvalidArgument):
        opt.set("meta_steps", 3)
    with pytest.raises(AttributeError):
        opt.meta_steps = 3
    with pytest.raises(ml.InvalidArgument):
        ml.Optimizer("adam").hidden = 4


@pytest.mark.parametrize("horizon, unroll", [(10, 5), (300, 150), (20, 20)])
def test_horizon_and_unroll_in_any_order(ml, horizon, unroll):
    # The two are independent settings (an unroll past the horizon is cut
    # at it when it runs), so the keyword order does not matter.
    for kw in ({"horizon": horizon, "unroll": unroll},
               {"unroll": unroll, "horizon": horizon}):
        opt = ml.Optimizer("lstm", **kw)
        assert (opt.horizon, opt.unroll) == (horizon, unroll)
    opt = ml.Optimizer("lstm", horizon=4, unroll=5)
    assert (opt.horizon, opt.unroll) == (4, 5)


def test_seed_and_shape_redraw_the_weights(ml, np):
    a, b = ml.Optimizer("lstm", seed=5), ml.Optimizer("lstm", seed=5)
    assert np.array_equal(a.weights, b.weights)
    b.seed = 6
    assert not np.array_equal(a.weights, b.weights)
    b.seed = 5
    assert np.array_equal(a.weights, b.weights)
    b.hidden = 7
    assert b.weights.shape == (weight_count(7, 2),)


# ---- weights --------------------------------------------------------------

def test_weights_get_and_set(ml, np):
    opt = small_lstm(ml)
    n = opt.num_weights
    w = opt.get_weights()
    assert w.dtype == np.float32 and w.shape == (n,) and np.isfinite(w).all()
    out = np.empty(n, dtype=np.float32)
    assert opt.get_weights(out=out) is out and np.array_equal(out, w)
    new = np.linspace(-1, 1, n)  # float64: converted
    opt.weights = new
    assert np.array_equal(opt.weights, new.astype(np.float32))
    opt.set_weights(list(w))     # a list works too
    assert np.array_equal(opt.weights, w)


def test_weights_errors(ml, np):
    opt = small_lstm(ml)
    w = opt.weights
    with pytest.raises(ml.ShapeError) as e:
        opt.set_weights(w[:-1])
    assert e.value.function == "ml_optimizer_set_weights"
    assert str(len(w) - 1) in e.value.message
    bad = w.copy()
    bad[3] = math.nan
    with pytest.raises(ml.NumericError):
        opt.set_weights(bad)
    assert np.array_equal(opt.weights, w)  # nothing changed
    with pytest.raises(ml.ShapeError):
        opt.get_weights(out=np.empty(3, dtype=np.float32))
    adam = ml.Optimizer("adam")
    assert adam.num_weights == 0
    with pytest.raises(ml.InvalidArgument, match="no learned weights"):
        adam.get_weights()
    with pytest.raises(ml.InvalidArgument):
        adam.set_weights([])


def test_weights_without_numpy(ml, no_numpy):
    opt = small_lstm(ml)
    w = opt.weights
    assert isinstance(w, array.array) and w.typecode == "f"
    assert len(w) == opt.num_weights
    opt.weights = [0.5] * len(w)
    assert list(opt.weights) == [0.5] * len(w)
    buf = array.array("f", bytes(4 * len(w)))
    opt.get_weights(out=buf)
    assert list(buf) == [0.5] * len(w)


# ---- meta-training and runs ----------------------------------------------

def test_meta_step_is_deterministic(ml, np):
    quad = ml.Problems.quadratic(5)
    a, b = small_lstm(ml), small_lstm(ml)
    start = a.weights
    losses = [a.meta_step(quad) for _ in range(4)]
    assert all(math.isfinite(x) and x > 0 for x in losses)
    assert a.meta_steps == 4 and "4 meta-steps" in repr(a)
    assert not np.array_equal(a.weights, start)
    # Same settings and seed: the same problems and the same updates.
    assert [b.meta_step(quad) for _ in range(4)] == losses
    assert np.array_equal(a.weights, b.weights)
    # Another seed draws other problems.
    c = small_lstm(ml, seed=2)
    c.weights = start
    assert c.meta_step(quad) != losses[0]


def test_exact_meta_step_on_a_builtin_family(ml):
    opt = small_lstm(ml, exact=1)
    loss = opt.meta_step(ml.Problems.quadratic(3))
    assert math.isfinite(loss) and opt.meta_steps == 1


def test_meta_step_errors(ml):
    quad = ml.Problems.quadratic(3)
    with pytest.raises(ml.Unsupported) as e:
        ml.Optimizer("adam").meta_step(quad)
    assert "only the LSTM" in e.value.message
    opt = small_lstm(ml)
    with pytest.raises(TypeError, match="metalearn.Problems"):
        opt.meta_step("quadratic")
    quad.close()
    with pytest.raises(ml.ClosedError):
        opt.meta_step(quad)
    opt.close()
    with pytest.raises(ml.ClosedError):
        opt.meta_step(ml.Problems.quadratic(3))


def test_run_compares_optimizers_on_the_same_problem(ml, np):
    quad = ml.Problems.quadratic(6)
    assert quad.dim == 6 and "6 parameters" in repr(quad)
    sgd = quad.run(ml.Optimizer("sgd", lr=0.01), seed=3, steps=25)
    adam = quad.run(ml.Optimizer("adam", lr=0.05), 3, 25)
    lstm = quad.run(small_lstm(ml), 3, 25)
    for losses in (sgd, adam, lstm):
        assert losses.dtype == np.float64 and losses.shape == (26,)
        assert np.isfinite(losses).all()
    # losses[0] is the objective at the problem's starting point.
    assert sgd[0] == adam[0] == lstm[0]
    assert sgd[-1] < sgd[0] and adam[-1] < adam[0]
    assert quad.run(ml.Optimizer("sgd", lr=0.01), 4, 1)[0] != sgd[0]
    # The optimiser is reset first: a second run is the same run.
    opt = ml.Optimizer("adam", lr=0.05)
    opt.step(np.zeros(6, dtype=np.float32), np.ones(6))
    assert np.array_equal(quad.run(opt, 3, 25), adam)
    assert np.array_equal(quad.run(opt, 3, 25), adam)


def test_run_errors(ml, np):
    quad = ml.Problems.quadratic(2)
    opt = ml.Optimizer("sgd", lr=0.01)
    with pytest.raises(ml.InvalidArgument) as e:
        quad.run(opt, 1, 0)
    assert e.value.function == "ml_problems_run"
    with pytest.raises(TypeError, match="metalearn.Optimizer"):
        quad.run("sgd", 1, 5)
    with pytest.raises(ml.InvalidArgument):
        quad.run(opt, -1, 5)
    # Divergence: the losses up to there travel with the error.
    wild = ml.Optimizer("sgd", lr=1e6)
    with pytest.raises(ml.NumericError) as e:
        quad.run(wild, 1, 50)
    partial = e.value.losses
    assert partial.shape == (51,) and math.isfinite(partial[0])
    assert np.isnan(partial[-1])
    opt.close()
    with pytest.raises(ml.ClosedError):
        quad.run(opt, 1, 5)
    quad.close()
    with pytest.raises(ml.ClosedError):
        quad.run(ml.Optimizer("sgd"), 1, 5)
    assert "closed" in repr(quad)


def test_run_without_numpy(ml, no_numpy):
    losses = ml.Problems.quadratic(3).run(ml.Optimizer("sgd", lr=0.01), 1, 4)
    assert isinstance(losses, array.array) and losses.typecode == "d"
    assert len(losses) == 5 and losses[-1] < losses[0]


# ---- the families ----------------------------------------------------------

def test_family_constructors(ml, np):
    with pytest.raises(TypeError, match="Problems.quadratic"):
        ml.Problems()
    for dim in (0, 4097):
        with pytest.raises(ml.InvalidArgument) as e:
            ml.Problems.quadratic(dim)
        assert e.value.function == "ml_problems_create_quadratic"
    with pytest.raises(ml.InvalidArgument):
        ml.Problems.quadratic(-1)
    rng = np.random.default_rng(0)
    data = ml.Dataset(rng.random((30, 6)), np.arange(30) % 3)
    mlp = ml.Problems.mlp(data, hidden=4, batch=8)
    # One hidden layer: 6 * 4 + 4 weights and biases, then 4 * 3 + 3.
    assert mlp.dim == 6 * 4 + 4 + 4 * 3 + 3
    data.close()  # the family keeps its own reference to the examples
    losses = mlp.run(ml.Optimizer("adam", lr=0.05), 1, 5)
    assert np.isfinite(losses).all() and losses[0] > 0
    assert np.array_equal(losses, mlp.run(ml.Optimizer("adam", lr=0.05), 1, 5))
    with pytest.raises(ml.ClosedError):
        ml.Problems.mlp(data)
    with pytest.raises(TypeError, match="metalearn.Dataset"):
        ml.Problems.mlp([[0.0]])
    one_class = ml.Dataset(rng.random((4, 2)), [0, 0, 0, 0])
    with pytest.raises(ml.InvalidArgument) as e:
        ml.Problems.mlp(one_class, 4, 2)
    assert e.value.function == "ml_problems_create_mlp"
    two = ml.Dataset(rng.random((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ml.InvalidArgument):
        ml.Problems.mlp(two, hidden=0)


def test_meta_training_on_the_mlp_family(ml, np):
    rng = np.random.default_rng(1)
    data = ml.Dataset(rng.random((20, 4)), np.arange(20) % 2)
    opt = small_lstm(ml, problems=2)
    start = opt.weights
    assert math.isfinite(opt.meta_step(ml.Problems.mlp(data, 3, 4)))
    assert not np.array_equal(opt.weights, start)


# ---- saving and loading ----------------------------------------------------

def test_save_load_round_trip(ml, np, tmp_path):
    quad = ml.Problems.quadratic(4)
    opt = small_lstm(ml, output_scale=0.2, loss_power=1.0)
    for _ in range(2):   # horizon 6, unroll 3: the trajectory is finished
        opt.meta_step(quad)
    path = tmp_path / "lstm.mlrn"
    opt.save(path)
    copies = [ml.Optimizer.load(path), ml.Optimizer.load(str(path)),
              ml.Optimizer.from_bytes(opt.to_bytes()),
              ml.Optimizer.from_bytes(bytearray(opt.to_bytes())),
              ml.Optimizer.from_bytes(memoryview(opt.to_bytes()))]
    expected = quad.run(opt, 11, 20)
    for copy in copies:
        assert copy.kind == "lstm" and copy.meta_steps == 2
        assert (copy.hidden, copy.problems, copy.horizon, copy.unroll) == (6, 4, 6, 3)
        assert copy.output_scale == 0.2 and copy.loss_power == 1.0
        assert np.array_equal(copy.weights, opt.weights)
        assert np.array_equal(quad.run(copy, 11, 20), expected)
        assert copy.to_bytes() == opt.to_bytes()
    # The generator and Adam state are saved: from a finished trajectory,
    # the next meta-step draws the same problems and makes the same update.
    loaded = copies[0]
    assert loaded.meta_step(quad) == opt.meta_step(quad)
    assert np.array_equal(loaded.weights, opt.weights)


def test_save_load_hand_designed(ml, tmp_path):
    opt = ml.Optimizer("sgd", lr=0.2, momentum=0.5, nesterov=1)
    opt.save(tmp_path / "sgd.mlrn")
    for copy in (ml.Optimizer.load(tmp_path / "sgd.mlrn"),
                 ml.Optimizer.from_bytes(opt.to_bytes())):
        assert copy.kind == "sgd" and copy.lr == 0.2
        assert copy.momentum == 0.5 and copy.nesterov == 1


def test_load_errors(ml, tmp_path, mlp):
    good = small_lstm(ml).to_bytes()
    with pytest.raises(ml.FileError) as e:
        ml.Optimizer.load(tmp_path / "missing.mlrn")
    assert e.value.function == "ml_optimizer_load"
    with pytest.raises(ml.FormatError, match="empty"):
        ml.Optimizer.from_bytes(b"")
    with pytest.raises(ml.CorruptError, match="truncated"):
        ml.Optimizer.from_bytes(good[:len(good) // 2])
    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0x40
    with pytest.raises(ml.CorruptError):
        ml.Optimizer.from_bytes(damaged)
    learner = ml.Learner(mlp, "maml").to_bytes()
    with pytest.raises(ml.FormatError) as e:  # a learner is not an optimiser
        ml.Optimizer.from_bytes(learner)
    assert e.value.function == "ml_optimizer_load_buffer"
    with pytest.raises(ml.FileError):
        small_lstm(ml).save(tmp_path / "no" / "such" / "dir.mlrn")
    opt = small_lstm(ml)
    opt.close()
    with pytest.raises(ml.ClosedError):
        opt.to_bytes()


# ---- None and NULL -----------------------------------------------------------

def test_none_inputs(ml):
    opt = small_lstm(ml)
    quad = ml.Problems.quadratic(2)
    for call in (lambda: ml.Problems.quadratic(None),
                 lambda: ml.Problems.mlp(None),
                 lambda: opt.meta_step(None),
                 lambda: opt.set_weights(None),
                 lambda: quad.run(None, 1, 2),
                 lambda: quad.run(opt, None, 2),
                 lambda: ml.Optimizer.load(None),
                 lambda: ml.Optimizer.from_bytes(None),
                 lambda: opt.save(None)):
        with pytest.raises(TypeError):
            call()


def test_null_handles_in_the_c_api(ml):
    """The new functions' own NULL checks, reached through the table."""
    from ctypes import byref
    from metalearn import _lib
    L = _lib.lib
    assert L.ml_problems_dim(None) == 0
    assert L.ml_optimizer_num_weights(None) == 0
    L.ml_problems_free(None)  # a no-op
    with pytest.raises(ml.InvalidArgument, match="NULL"):
        L.ml_problems_run(None, None, 1, 3, None)
    with pytest.raises(ml.InvalidArgument, match="NULL"):
        L.ml_optimizer_meta_step(None, None, None)
    out = _lib.PROBLEMS()
    with pytest.raises(ml.InvalidArgument, match="NULL callback"):
        # CFUNCTYPE classes called without arguments are NULL pointers.
        L.ml_problems_create_callback(byref(out), 2, _lib.SAMPLE_FN(),
                                      _lib.OBJECTIVE_FN(), _lib.RELEASE_FN(),
                                      None)
    assert not out
    with pytest.raises(ml.InvalidArgument):
        L.ml_optimizer_get_weights(None, None, 0)
    with pytest.raises(ml.InvalidArgument):
        L.ml_optimizer_load_buffer(None, None, 0)


# ---- the learned optimiser inside a learner ------------------------------------

def test_learner_with_a_learned_inner_optimizer(ml, np, sampler):
    model = ml.Model.mlp(1, [8, 1])
    opt = small_lstm(ml, hidden=4)
    for _ in range(2):
        opt.meta_step(ml.Problems.quadratic(3))
    learner = ml.Learner(model, "lstm", seed=1)
    assert learner.strategy == "lstm"
    # Without the call: fresh LSTM weights of 20 hidden units.
    assert learner.num_meta_params == model.num_params + weight_count(20, 2)
    learner.set_inner_optimizer(opt)
    # The LSTM's weights follow the model's in the meta-parameters.
    assert learner.num_meta_params == model.num_params + opt.num_weights
    assert np.array_equal(learner.meta_params[model.num_params:], opt.weights)
    opt.close()  # a copy was taken
    assert math.isfinite(learner.meta_step(sampler.sample_batch(2)))
    with pytest.raises(ml.StateError, match="has been trained") as e:
        learner.set_inner_optimizer(small_lstm(ml))
    assert e.value.function == "ml_learner_set_inner_optimizer"
    with pytest.raises(ml.Unsupported) as e:
        learner.set_optimizer(small_lstm(ml))  # not an outer optimiser
    maml = ml.Learner(model, "maml", seed=1)
    with pytest.raises(ml.Unsupported, match="only the LSTM strategy"):
        maml.set_inner_optimizer(small_lstm(ml))
    with pytest.raises(ml.InvalidArgument, match="not a learned LSTM"):
        ml.Learner(model, "lstm").set_inner_optimizer(ml.Optimizer("adam"))
    with pytest.raises(TypeError):
        learner.set_inner_optimizer(None)
