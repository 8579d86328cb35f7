"""Data sets: labelled examples for few-shot classification."""

from ctypes import byref, c_int, c_size_t

from . import _arrays, _lib, errors
from ._handle import Handle, last_error_property, using

L = _lib.lib

SPLIT_RULES = {"groups": 1, "classes": 2, "fraction": 3}  # enum ml_split_rule
MAX_RANK = 3


def _rule(rule):
    return _arrays.named_arg(rule, SPLIT_RULES, "split rule")


def _spec(spec):
    """The rule's `spec` string: a string as it is, a number as its
    shortest repr, a sequence of names joined by commas."""
    if isinstance(spec, bytes):
        return spec
    if isinstance(spec, str):
        text = spec
    elif isinstance(spec, (int, float)) and not isinstance(spec, bool):
        text = repr(float(spec))
    else:
        try:
            names = [str(n) for n in spec]
        except TypeError:
            raise TypeError("spec must be a string, a number or a sequence "
                            "of names, not %s" % type(spec).__name__) from None
        text = ",".join(names)
    data = text.encode("utf-8")
    if b"\0" in data:
        raise ValueError("embedded NUL character in spec")
    return data


def _text(b):
    return b.decode("utf-8", "replace")


class Dataset(Handle):
    """Labelled examples, the source of N-way K-shot episodes
    (Sampler.episodes())::

        ds = Dataset(x, labels)                        # arrays, copied
        ds = Dataset.load_images('omniglot/images_background', 28, invert=True)
        ds = Dataset.load_idx('train-images-idx3-ubyte.gz',
                              'train-labels-idx1-ubyte.gz')
        train, test = ds.split('fraction', 0.8, seed=1)

    ``len(ds)`` examples of ``ds.shape`` (1 to 3 dimensions) in
    ``ds.num_classes`` classes, each with a name and a group (Omniglot: the
    alphabet).
    """

    _free_name = "ml_dataset_free"
    last_error = last_error_property("ml_dataset_last_error")

    def __init__(self, x, labels):
        """From arrays (copied): ``x`` holds n examples along its first
        dimension (shape (n,), (n, d), (n, c, h, w)...), ``labels`` n class
        labels >= 0."""
        xs = _arrays.floats_in(x, "x")
        ls = _arrays.ints_in(labels, "labels")
        n = xs.rows
        shape = list(xs.shape[1:]) or [1]
        if ls.size != n:
            raise errors.ShapeError("labels has %d values, x %d examples"
                                    % (ls.size, n))
        arr = (c_size_t * len(shape))(*shape)
        out = _lib.DATASET()
        L.ml_dataset_create(byref(out), n, len(shape), arr, xs.ptr, ls.ptr)
        self._adopt(out)

    @classmethod
    def load_images(cls, directory, size, invert=False):
        """PNG images in the Omniglot layout: every directory that holds
        .png files is a class named by its path below ``directory``, its
        group the first component.  Images become grey, [0, 1], inverted
        if ``invert`` (Omniglot: True), ``size`` x ``size``."""
        out = _lib.DATASET()
        L.ml_dataset_load_images(byref(out), _arrays.path_arg(directory),
                                 _arrays.size_arg(size, "size"),
                                 1 if invert else 0)
        return cls._wrap(out)

    @classmethod
    def load_idx(cls, images_path, labels_path):
        """MNIST-style IDX files (gzip-compressed or not)."""
        out = _lib.DATASET()
        L.ml_dataset_load_idx(byref(out), _arrays.path_arg(images_path), _arrays.path_arg(labels_path))
        return cls._wrap(out)

    def _query(self, fn, *args):
        with using(self):
            return fn(self._handle(), *args)

    def __len__(self):
        return self._query(L.ml_dataset_size)

    @property
    def size(self):
        """Number of examples."""
        return len(self)

    @property
    def num_classes(self):
        """Number of classes."""
        return self._query(L.ml_dataset_num_classes)

    @property
    def input_size(self):
        """Floats per example."""
        return self._query(L.ml_dataset_input_size)

    @property
    def shape(self):
        """The shape of one example, a tuple of 1 to 3 sizes."""
        ndim = c_size_t()
        dims = (c_size_t * MAX_RANK)()
        self._query(L.ml_dataset_shape, byref(ndim), dims)
        return tuple(dims[:ndim.value])

    def class_name(self, i):
        """The name of class ``i``."""
        name = self._query(L.ml_dataset_class_name, _arrays.size_arg(i, "class"))
        if name is None:
            raise errors.RangeError("class %d of %d" % (i, self.num_classes))
        return _text(name)

    def class_group(self, i):
        """The group of class ``i`` (Omniglot: the alphabet)."""
        group = self._query(L.ml_dataset_class_group, _arrays.size_arg(i, "class"))
        if group is None:
            raise errors.RangeError("class %d of %d" % (i, self.num_classes))
        return _text(group)

    @property
    def class_names(self):
        """The names of all classes, in order."""
        return [self.class_name(i) for i in range(self.num_classes)]

    def get(self, i):
        """Example ``i`` as (x, label): x has the data set's shape (a flat
        array.array without numpy)."""
        i = _arrays.size_arg(i, "example")
        label = c_int()
        with using(self):
            ptr = self._handle()
            count = L.ml_dataset_input_size(ptr)
            ndim = c_size_t()
            dims = (c_size_t * MAX_RANK)()
            L.ml_dataset_shape(ptr, byref(ndim), dims)
            x, buf = _arrays.new_out("f", tuple(dims[:ndim.value]))
            L.ml_dataset_get(ptr, i, buf, count, byref(label))
        return x, label.value

    def split(self, rule, spec, seed=0):
        """Splits the classes in two: returns (selected, rest) data sets.

        ``rule`` is 'groups' (``spec``: group names), 'classes' (class
        names) or 'fraction' (``spec``: a fraction in (0, 1) of the classes,
        drawn with ``seed``).  Names may be given as a comma-separated
        string or a sequence.
        """
        code = _rule(rule)
        text = _spec(spec)
        seed = _arrays.seed_arg(seed)
        selected, rest = _lib.DATASET(), _lib.DATASET()
        with using(self):
            L.ml_dataset_split(self._handle(), code, text, seed, byref(selected),
                               byref(rest))
        return Dataset._wrap(selected), Dataset._wrap(rest)

    def __repr__(self):
        if self.closed:
            return "<metalearn.Dataset (closed)>"
        return "<metalearn.Dataset %d examples of %s in %d classes>" % (
            len(self), "x".join(map(str, self.shape)), self.num_classes)
