"""save / load, to_bytes / from_bytes, pickle, and damaged data."""
import os
import pickle

import pytest


@pytest.fixture
def trained(ml, mlp, sampler):
    learner = ml.Learner(mlp, "maml", seed=3, inner_lr=0.02, inner_steps=2)
    learner.set_optimizer(ml.Optimizer("sgd", lr=0.01, momentum=0.9))
    for _ in range(3):
        learner.meta_step(sampler.sample_batch(3))
    return learner


def _same(np, a, b):
    return np.array_equal(a.meta_params, b.meta_params)


def test_save_and_load(ml, np, trained, sampler, tmp_path):
    path = tmp_path / "learner.mlrn"
    trained.save(path)                 # a pathlib.Path
    loaded = ml.Learner.load(str(path))  # or a str
    assert _same(np, trained, loaded)
    assert loaded.strategy == "maml" and loaded.iteration == 3
    assert loaded.inner_lr == pytest.approx(0.02) and loaded.inner_steps == 2
    assert loaded.model.describe() == trained.model.describe()
    # Optimiser state and settings travel too: training continues identically.
    tasks = sampler.sample_batch(3)
    assert trained.meta_step(tasks) == loaded.meta_step(tasks)
    assert _same(np, trained, loaded)
    trained.save(os.fsencode(str(path)))  # bytes paths work too


def test_bytes_round_trip(ml, np, trained, tmp_path):
    data = trained.to_bytes()
    assert isinstance(data, bytes) and data[:4] == open_file_magic(trained, tmp_path)
    for copy in (ml.Learner.from_bytes(data),
                 ml.Learner.from_bytes(bytearray(data)),
                 ml.Learner.from_bytes(memoryview(data)),
                 trained.copy(),
                 pickle.loads(pickle.dumps(trained))):
        assert _same(np, trained, copy) and copy.iteration == 3
        assert copy.to_bytes() == data


def open_file_magic(learner, tmp_path):
    path = tmp_path / "magic.mlrn"
    learner.save(path)
    with open(path, "rb") as f:
        return f.read(4)


def test_load_errors(ml, trained, tmp_path):
    good = trained.to_bytes()

    missing = tmp_path / "missing.mlrn"
    with pytest.raises(ml.FileError) as e:
        ml.Learner.load(missing)
    assert isinstance(e.value, OSError) and e.value.status == -5
    assert str(missing) in e.value.message

    empty = tmp_path / "empty.mlrn"
    empty.write_bytes(b"")
    with pytest.raises(ml.FormatError) as e:
        ml.Learner.load(empty)
    assert "not a libmetalearn file" in e.value.message
    assert str(empty) in e.value.message
    assert e.value.function == "ml_learner_load"

    truncated = tmp_path / "truncated.mlrn"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(ml.CorruptError, match="truncated") as e:
        ml.Learner.load(truncated)
    assert isinstance(e.value, ValueError) and e.value.status == -7

    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0x40
    corrupt = tmp_path / "corrupt.mlrn"
    corrupt.write_bytes(bytes(damaged))
    with pytest.raises(ml.CorruptError, match="checksum"):
        ml.Learner.load(corrupt)

    foreign = tmp_path / "foreign.mlrn"
    foreign.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ml.FormatError, match="bad magic"):
        ml.Learner.load(foreign)

    with pytest.raises(ml.FormatError):
        ml.Learner.from_bytes(b"")
    with pytest.raises(ml.CorruptError, match="truncated"):
        ml.Learner.from_bytes(good[:-1])
    with pytest.raises(ml.CorruptError):
        ml.Learner.from_bytes(good[:40])
    with pytest.raises(ValueError, match="NUL"):
        ml.Learner.load("bad\0name")
    with pytest.raises(TypeError):
        ml.Learner.load(None)
    with pytest.raises(TypeError):
        ml.Learner.from_bytes(None)


def test_save_errors(ml, trained, tmp_path):
    with pytest.raises(ml.FileError) as e:
        trained.save(tmp_path / "no" / "such" / "dir" / "x.mlrn")
    assert "cannot" in e.value.message
    assert trained.last_error == e.value.message
    trained.close()
    with pytest.raises(ml.ClosedError):
        trained.save(tmp_path / "x.mlrn")
    with pytest.raises(ml.ClosedError):
        trained.to_bytes()
