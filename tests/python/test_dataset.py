"""Data sets, episode samplers, convolutional models and metric learners."""
import array
import gzip
import math
import struct
import zlib

import pytest


def write_png(path, pixels):
    """A minimal 8-bit greyscale PNG of a list of rows of 0..255 values."""
    height, width = len(pixels), len(pixels[0])

    def chunk(kind, data):
        body = kind + data
        return (struct.pack(">I", len(data)) + body
                + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF))

    raw = b"".join(b"\0" + bytes(row) for row in pixels)
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                  8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def omniglot_tree(root, side=4):
    """root/<alphabet>/<character>/<image>.png: 2 alphabets x 2 characters
    x 3 images; character c of alphabet a has all pixels 10*(2a+c)+i."""
    for a, alphabet in enumerate(("Greek", "Latin")):
        for c in range(2):
            d = root / alphabet / ("character%02d" % (c + 1))
            d.mkdir(parents=True)
            for i in range(3):
                v = 10 * (2 * a + c) + i
                write_png(d / ("%d.png" % i), [[v] * side for _ in range(side)])
    return root


def write_idx(path, images, labels_path, labels, compress=False):
    n, rows, cols = len(images), len(images[0]), len(images[0][0])
    img = struct.pack(">IIII", 0x00000803, n, rows, cols) + bytes(
        v for im in images for row in im for v in row)
    lab = struct.pack(">II", 0x00000801, n) + bytes(labels)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(img)
    with opener(labels_path, "wb") as f:
        f.write(lab)


@pytest.fixture
def numeric(ml, np):
    rng = np.random.default_rng(0)
    x = rng.random((60, 1, 6, 6)).astype(np.float32)
    return ml.Dataset(x, np.repeat(np.arange(6), 10)), x


def test_from_arrays(ml, np, numeric):
    ds, x = numeric
    assert len(ds) == ds.size == 60 and ds.num_classes == 6
    assert ds.shape == (1, 6, 6) and ds.input_size == 36
    assert ds.class_names == ["0", "1", "2", "3", "4", "5"]
    assert ds.class_group(0) == ""
    xi, label = ds.get(13)
    assert label == 1 and xi.shape == (1, 6, 6) and np.array_equal(xi, x[13])
    assert "60 examples of 1x6x6 in 6 classes" in repr(ds)
    assert ds.last_error == ""
    flat = ml.Dataset(np.zeros((4, 3)), [0, 1, 0, 1])
    assert flat.shape == (3,) and flat.num_classes == 2
    assert ml.Dataset([1.0, 2.0, 3.0], [0, 0, 1]).shape == (1,)


def test_split(ml, np, numeric):
    ds, _ = numeric
    a, b = ds.split("fraction", 0.5, seed=1)
    assert a.num_classes == b.num_classes == 3 and len(a) + len(b) == 60
    assert sorted(a.class_names + b.class_names) == ds.class_names
    again, _ = ds.split("fraction", "0.5", seed=1)
    assert again.class_names == a.class_names
    sel, rest = ds.split("classes", ["1", "4"])
    assert sel.class_names == ["1", "4"] and len(rest) == 40
    assert ds.split(2, "0,5")[0].class_names == ["0", "5"]
    with pytest.raises(ml.InvalidArgument) as e:
        ds.split("classes", ["7"])  # no such class: the library says
    assert e.value.function == "ml_dataset_split"
    assert ds.last_error == e.value.message
    with pytest.raises(ml.InvalidArgument, match="unknown split rule"):
        ds.split("alphabet", "x")
    with pytest.raises(ml.InvalidArgument):
        ds.split("fraction", 1.5)
    with pytest.raises(TypeError):
        ds.split("classes", None)


def test_dataset_errors(ml, np, numeric):
    ds, _ = numeric
    with pytest.raises(ml.RangeError) as e:
        ds.get(60)
    assert e.value.function == "ml_dataset_get"
    with pytest.raises(ml.RangeError):
        ds.class_name(6)
    with pytest.raises(ml.RangeError):
        ds.class_group(99)
    with pytest.raises(ml.InvalidArgument, match="negative"):
        ml.Dataset(np.zeros((2, 2)), [0, -1])
    with pytest.raises(ml.NumericError):
        ml.Dataset([[0.0], [math.inf]], [0, 1])
    with pytest.raises(ml.ShapeError):
        ml.Dataset(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ml.InvalidArgument):  # rank 4 examples
        ml.Dataset(np.zeros((2, 1, 1, 1, 1)), [0, 1])
    with pytest.raises(ml.InvalidArgument):
        ml.Dataset(np.zeros((0, 2)), [])
    with pytest.raises(TypeError):
        ml.Dataset(None, [0])
    ds.close()
    with pytest.raises(ml.ClosedError):
        len(ds)
    with pytest.raises(ml.ClosedError):
        ml.Sampler.episodes(ds, 0)
    assert "closed" in repr(ds)


def test_load_images(ml, np, tmp_path):
    root = omniglot_tree(tmp_path / "images")
    ds = ml.Dataset.load_images(root, 2)
    assert len(ds) == 12 and ds.num_classes == 4 and ds.shape == (1, 2, 2)
    assert ds.class_names == ["Greek/character01", "Greek/character02",
                              "Latin/character01", "Latin/character02"]
    assert ds.class_group(3) == "Latin"
    x, label = ds.get(4)  # Greek/character02, image 1: pixels 11
    assert label == 1 and np.allclose(x, 11 / 255)
    inv = ml.Dataset.load_images(str(root), 2, invert=True)
    assert np.allclose(inv.get(4)[0], 1 - 11 / 255)
    greek, latin = ds.split("groups", "Greek")
    assert greek.num_classes == 2 and latin.class_group(0) == "Latin"


def test_load_images_errors(ml, tmp_path):
    with pytest.raises(ml.FileError) as e:
        ml.Dataset.load_images(tmp_path / "missing", 28)
    assert isinstance(e.value, OSError)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ml.FormatError):
        ml.Dataset.load_images(empty, 28)
    bad = tmp_path / "bad" / "class"
    bad.mkdir(parents=True)
    (bad / "0.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ml.FormatError):
        ml.Dataset.load_images(tmp_path / "bad", 28)
    with pytest.raises(ml.InvalidArgument):
        ml.Dataset.load_images(tmp_path, 0)


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx(ml, np, tmp_path, compress):
    images = [[[i * 10 + r for _ in range(3)] for r in range(2)] for i in range(5)]
    labels = [3, 1, 3, 0, 1]
    img, lab = tmp_path / "images.idx", tmp_path / "labels.idx"
    write_idx(img, images, lab, labels, compress)
    ds = ml.Dataset.load_idx(img, lab)
    assert len(ds) == 5 and ds.num_classes == 3
    assert ds.class_names == ["0", "1", "3"]
    x, label = ds.get(2)
    assert ds.class_name(label) == "3"
    assert x.size == 6 and np.allclose(np.ravel(x)[3:], 21 / 255)


def test_load_idx_errors(ml, tmp_path):
    img, lab = tmp_path / "i.idx", tmp_path / "l.idx"
    write_idx(img, [[[0]]], lab, [0])
    with pytest.raises(ml.FormatError):
        ml.Dataset.load_idx(lab, img)  # swapped: wrong magic numbers
    with pytest.raises(ml.FileError):
        ml.Dataset.load_idx(tmp_path / "none", lab)
    img.write_bytes(img.read_bytes()[:-1])
    with pytest.raises(ml.FormatError):
        ml.Dataset.load_idx(img, lab)


def test_episodes(ml, np, numeric):
    ds, _ = numeric
    s = ml.Sampler.episodes(ds, 3, ways=3, shots=2, queries=4)
    ds.close()  # the sampler shares the data
    assert (s.ways, s.shots, s.queries, s.rotations) == (3, 2, 4, False)
    t = s.sample()
    assert t.is_classification and t.num_ways == 3 and t.input_size == 36
    assert (t.n_support, t.n_query) == (6, 12)
    assert sorted(t.labels().tolist()) == [0, 0, 1, 1, 2, 2]
    s.rotations = True
    assert s.rotations
    with pytest.raises(ml.InvalidArgument):
        s.set("rotations", 2)
    assert s.shift == 0
    s.shift = 2
    assert s.shift == 2 and s.get("shift") == 2
    t = s.sample()  # shifted: zeros move in, sizes as before
    assert t.inputs().shape == (6, 36) and (t.inputs() == 0).any()
    with pytest.raises(ml.InvalidArgument):
        s.shift = 6  # the images are 6x6
    assert s.shift == 2
    shifted = ml.Sampler.episodes(ml.Dataset(np.zeros((8, 4, 4)),
                                             np.arange(8)), 3, shift=1)
    assert shifted.shift == 1
    with pytest.raises(ml.InvalidArgument):
        s.amplitude = (1, 2)  # not a sine sampler
    default = ml.Sampler.episodes(ml.Dataset(np.zeros((40, 2)),
                                             np.repeat(np.arange(8), 5)), 0)
    assert (default.ways, default.shots, default.queries) == (5, 1, 15)
    with pytest.raises(TypeError):
        ml.Sampler.episodes("omniglot", 0)


def test_convolutional_models(ml):
    m = (ml.Model((1, 8, 8)).add_conv2d(4, 3, padding=1).add_batchnorm()
         .add_activation("relu").add_maxpool(2).add_flatten().add_dense(3))
    assert m.layers == ["conv2d", "batchnorm", "relu", "maxpool", "flatten",
                        "dense"]
    assert m.output_size == 3
    assert m.num_params == (9 * 4 + 4) + (4 + 4) + (4 * 4 * 4 * 3 + 3)
    c4 = ml.Model.conv4(1, 8, 8, filters=4, blocks=2, n_out=5)
    assert c4.layers[:4] == ["conv2d", "batchnorm", "relu", "maxpool"]
    assert c4.layers[-2:] == ["flatten", "dense"] and c4.output_size == 5
    assert ml.Model.conv4(1, 28, 28).layers[-1] == "flatten"
    with pytest.raises(ml.InvalidArgument):
        ml.Model(10).add_conv2d(4, 3)  # the input is not (c, h, w)
    with pytest.raises(ml.InvalidArgument):
        ml.Model((1, 4, 4)).add_conv2d(4, 3, padding=3)
    with pytest.raises(ml.InvalidArgument):
        ml.Model((1, 4, 4)).add_maxpool(8)
    with pytest.raises(ml.InvalidArgument):
        ml.Model.conv4(1, 8, 8, blocks=0)
    maps = ml.Model.conv4_maps(1, 28, 28)
    assert "flatten" not in maps.layers and maps.layers.count("maxpool") == 2
    assert maps.output_size == 64 * 7 * 7
    with pytest.raises(ml.InvalidArgument):
        ml.Model.conv4_maps(1, 8, 8, blocks=2, pooled=3)


@pytest.mark.parametrize("strategy,n_out", [("protonet", 0), ("siamese", 0),
                                            ("relation", 0), ("matching", 0),
                                            ("maml", 3)])
def test_learners_on_episodes(ml, np, numeric, strategy, n_out):
    ds, _ = numeric
    sampler = ml.Sampler.episodes(ds, 5, ways=3, shots=2, queries=3)
    if strategy == "relation":
        model = ml.Model.conv4_maps(1, 6, 6, filters=4, blocks=2, pooled=1)
    else:
        model = ml.Model.conv4(1, 6, 6, filters=4, blocks=2, n_out=n_out)
    learner = ml.Learner(model, strategy, seed=1)
    assert learner.strategy == strategy
    for _ in range(3):
        assert math.isfinite(learner.meta_step(sampler.sample_batch(2)))
    res = learner.evaluate(sampler.sample_batch(3))
    assert 0 <= res.accuracy <= 1 and len(res.per_task) == 3
    task = sampler.sample()
    scores, labels = learner.predict(task, task.inputs("query"))
    assert scores.shape == (9, 3) and labels.shape == (9,)
    copy = ml.Learner.from_bytes(learner.to_bytes())
    assert copy.strategy == strategy
    assert np.array_equal(copy.meta_params, learner.meta_params)


def test_without_numpy(ml, no_numpy):
    ds = ml.Dataset([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], [0, 1, 1])
    x, label = ds.get(1)
    assert isinstance(x, array.array) and x.tolist() == [2.0, 3.0] and label == 1
    s = ml.Sampler.episodes(ds, 1, ways=2, shots=1, queries=0)
    assert s.sample().labels().tolist() in ([0, 1], [1, 0])
