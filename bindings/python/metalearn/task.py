"""Tasks (episodes): a support set to adapt on and a query set to measure on."""

from ctypes import byref

from . import _arrays, _lib, errors
from ._handle import Handle, using

L = _lib.lib

SETS = {"support": 0, "query": 1}  # enum ml_set


def _which(which):
    return _arrays.named_arg(which, SETS, "set")


def _examples(data, what, n, row_size, row_what):
    """Checks that converted ``data`` holds ``n`` examples of ``row_size``
    values.  The binding must check this: C receives bare pointers and
    would read past the end of a short array."""
    if data.rows != n:
        raise errors.ShapeError("%s has %d examples, expected %d"
                                % (what, data.rows, n))
    if n and data.row_size != row_size:
        raise errors.ShapeError("%s has %d %s per example, expected %d"
                                % (what, data.row_size, row_what, row_size))


class Task(Handle):
    """One episode.  Make one with Task.regression(), Task.classification()
    or Sampler.sample().

    Arrays are examples along the first dimension: a 2-D array (n, d)
    holds n examples of d values, a 1-D array n examples of one value, and
    a higher-dimensional one (n, c, h, w) n examples of c*h*w values.  The
    data is copied into the task.
    """

    _free_name = "ml_task_free"

    def __init__(self, *args, **kwargs):
        raise TypeError("use Task.regression(), Task.classification() or "
                        "Sampler.sample() to make a Task")

    @classmethod
    def regression(cls, x_support, y_support, x_query=None, y_query=None):
        """A regression task.  The query set may be left out (a task used
        only to adapt, or for Reptile training)."""
        xs = _arrays.floats_in(x_support, "x_support")
        ys = _arrays.floats_in(y_support, "y_support")
        n_support, in_size, out_size = xs.rows, xs.row_size, ys.row_size
        _examples(ys, "y_support", n_support, out_size, "targets")
        xq = None if x_query is None else _arrays.floats_in(x_query, "x_query")
        yq = None if y_query is None else _arrays.floats_in(y_query, "y_query")
        n_query = (xq or yq).rows if (xq or yq) else 0
        # A missing half of the query set goes to C as NULL: the library
        # reports it.
        if xq is not None:
            _examples(xq, "x_query", n_query, in_size, "inputs")
        if yq is not None:
            _examples(yq, "y_query", n_query, out_size, "targets")
        out = _lib.TASK()
        L.ml_task_create_regression(
            byref(out), in_size, out_size, n_support, xs.ptr, ys.ptr, n_query,
            xq.ptr if xq is not None else None,
            yq.ptr if yq is not None else None)
        return cls._wrap(out)

    @classmethod
    def classification(cls, x_support, labels_support, x_query=None,
                       labels_query=None, n_ways=None):
        """An N-way classification task; labels are integers 0..n_ways-1."""
        if n_ways is None:
            raise TypeError("Task.classification() needs n_ways")
        n_ways = _arrays.size_arg(n_ways, "n_ways")
        xs = _arrays.floats_in(x_support, "x_support")
        ls = _arrays.ints_in(labels_support, "labels_support")
        n_support, in_size = xs.rows, xs.row_size
        _examples(ls, "labels_support", n_support, 1, "labels")
        xq = None if x_query is None else _arrays.floats_in(x_query, "x_query")
        lq = (None if labels_query is None
              else _arrays.ints_in(labels_query, "labels_query"))
        n_query = (xq or lq).rows if (xq or lq) else 0
        if xq is not None:
            _examples(xq, "x_query", n_query, in_size, "inputs")
        if lq is not None:
            _examples(lq, "labels_query", n_query, 1, "labels")
        out = _lib.TASK()
        L.ml_task_create_classification(
            byref(out), in_size, n_ways, n_support, xs.ptr, ls.ptr, n_query,
            xq.ptr if xq is not None else None,
            lq.ptr if lq is not None else None)
        return cls._wrap(out)

    def _query(self, fn, *args):
        with using(self):
            return fn(self._handle(), *args)

    def size(self, which="support"):
        """Number of examples in the 'support' or 'query' set."""
        return self._query(L.ml_task_size, _which(which))

    @property
    def n_support(self):
        """Number of support examples."""
        return self.size("support")

    @property
    def n_query(self):
        """Number of query examples (0 for a task without a query set)."""
        return self.size("query")

    @property
    def input_size(self):
        """Values per input example."""
        return self._query(L.ml_task_input_size)

    @property
    def output_size(self):
        """Values per target (regression) or classes (classification)."""
        return self._query(L.ml_task_output_size)

    @property
    def num_ways(self):
        """Number of classes; 0 for a regression task."""
        return self._query(L.ml_task_num_ways)

    @property
    def is_classification(self):
        """True for a classification task."""
        return self.num_ways > 0

    def _copy_out(self, fn, code, which, per_example):
        w = _which(which)
        with using(self):
            ptr = self._handle()
            n = L.ml_task_size(ptr, w)
            width = per_example(ptr)
            shape = (n, width) if width != 1 or code == "f" else (n,)
            result, buf = _arrays.new_out(code, shape)
            fn(ptr, w, buf, n * width)
        return result

    def inputs(self, which="support"):
        """A copy of the inputs of one set, shape (n, input_size)."""
        return self._copy_out(L.ml_task_get_inputs, "f", which,
                              L.ml_task_input_size)

    def targets(self, which="support"):
        """A copy of the regression targets of one set, shape
        (n, output_size); Unsupported for a classification task."""
        return self._copy_out(L.ml_task_get_targets, "f", which,
                              L.ml_task_output_size)

    def labels(self, which="support"):
        """A copy of the labels of one set, shape (n,); Unsupported for a
        regression task."""
        return self._copy_out(L.ml_task_get_labels, "i", which, lambda p: 1)

    def __repr__(self):
        if self.closed:
            return "<metalearn.Task (closed)>"
        kind = ("%d-way classification" % self.num_ways
                if self.is_classification else "regression")
        return "<metalearn.Task %s: %d support, %d query, %d inputs>" % (
            kind, self.n_support, self.n_query, self.input_size)
