"""Sine sampler."""
import math

import pytest


def test_defaults_and_properties(ml):
    with ml.Sampler.sine(seed=1) as s:
        assert (s.shots, s.queries) == (10, 10)
        assert s.amplitude == pytest.approx((0.1, 5.0))
        assert s.phase == pytest.approx((0.0, math.pi))
        assert s.x_range == (-5.0, 5.0)
        s.shots, s.queries = 5, 0
        assert (s.shots, s.queries) == (5, 0)
        assert s.last_error == ""
        with pytest.raises(ml.InvalidArgument) as e:
            s.ways = 2  # a sine sampler has no classes
        assert s.last_error == e.value.message
        with pytest.raises(ml.InvalidArgument):
            s.ways  # noqa: B018
        assert s.get("shots") == 5.0 and s.get(1) == 5.0
        s.set("x_max", 7)
        assert s.x_range == (-5.0, 7.0)
        t = s.sample()
        assert (t.n_support, t.n_query, t.input_size) == (5, 0, 1)


def test_constructor_arguments(ml, np):
    s = ml.Sampler.sine(3, shots=4, queries=6, amplitude=(1, 2),
                        phase=(0.5, 0.5), x_range=(10, 20))
    assert (s.shots, s.queries) == (4, 6)
    assert s.amplitude == (1.0, 2.0) and s.phase == (0.5, 0.5)
    t = s.sample()
    x, y = t.inputs(), t.targets()
    assert x.shape == (4, 1) and t.n_query == 6
    assert np.all((x >= 10) & (x <= 20))
    assert np.all(np.abs(y) <= 2.0 + 1e-6)


def test_ranges_move_in_any_direction(ml):
    s = ml.Sampler.sine(0)
    s.amplitude = (10, 20)     # above the old maximum
    assert s.amplitude == (10.0, 20.0)
    s.amplitude = (0.5, 1)     # below the old minimum
    assert s.amplitude == (0.5, 1.0)
    with pytest.raises(ml.InvalidArgument) as e:
        s.amplitude = (3, 2)   # the library refuses min > max
    assert "ml_sampler_set" not in repr(e.value.status)
    assert s.amplitude == (0.5, 1.0)  # unchanged
    with pytest.raises(TypeError):
        s.phase = 3


def test_reproducible(ml, np):
    a, b = ml.Sampler.sine(7), ml.Sampler.sine(7)
    ta, tb = a.sample_batch(3), b.sample_batch(3)
    for x, y in zip(ta, tb):
        assert np.array_equal(x.inputs(), y.inputs())
        assert np.array_equal(x.targets("query"), y.targets("query"))
    first = a.sample().inputs()
    a.reseed(7)
    assert np.array_equal(a.sample().inputs(), ta[0].inputs())
    assert not np.array_equal(first, ta[0].inputs())


def test_sampler_errors(ml):
    s = ml.Sampler.sine(0)
    with pytest.raises(ml.InvalidArgument) as e:
        s.shots = 0
    assert "ml_sampler_set" in e.value.message
    assert s.last_error == e.value.message
    with pytest.raises(ml.InvalidArgument):
        s.set("x_min", math.inf)
    with pytest.raises(ml.InvalidArgument, match="unknown sampler parameter"):
        s.get("frequency")
    with pytest.raises(ml.InvalidArgument) as e:
        s.get(55)  # a key the library does not know
    assert e.value.function == "ml_sampler_get"
    with pytest.raises(ml.InvalidArgument):
        ml.Sampler.sine(-1)
    with pytest.raises(ml.InvalidArgument):
        ml.Sampler.sine(0, shots=0)
    with pytest.raises(TypeError):
        ml.Sampler()
    s.close()
    with pytest.raises(ml.ClosedError):
        s.sample()
    with pytest.raises(ml.ClosedError):
        s.reseed(1)
