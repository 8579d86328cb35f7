"""Problem families: what the learned optimiser is meta-trained on, and
the fair way to compare optimisers."""

from ctypes import byref

from . import _arrays, _lib, errors
from ._callbacks import Thunks
from ._handle import Handle, using
from .dataset import Dataset
from .optimizer import Optimizer

L = _lib.lib


class Problems(Handle):
    """A family of optimisation problems, each identified by a seed::

        quad = Problems.quadratic(10)            # ||W theta - y||^2, random W, y
        mnist = Problems.mlp(dataset, hidden=20, batch=128)
        mine = Problems.from_callbacks(n, sample, objective)

        opt = Optimizer('lstm', problems=32)
        for _ in range(100):
            opt.meta_step(quad)                  # meta-training
        lstm = quad.run(opt, seed=7, steps=100)  # losses, steps + 1 values
        adam = quad.run(Optimizer('adam', lr=0.1), seed=7, steps=100)

    The same seed gives the same problem (and starting point) for every
    optimiser.  A family may be shared by several optimisers; an optimiser
    that meta-trained on it keeps it (and its callbacks) alive, so closing
    the family early is safe.
    """

    _free_name = "ml_problems_free"
    _thunks = None  # the callbacks of a from_callbacks family

    def __init__(self, *args, **kwargs):
        raise TypeError("use Problems.quadratic(), Problems.mlp() or "
                        "Problems.from_callbacks() to make a Problems")

    @classmethod
    def _create(cls, fn, *args, thunks=None):
        out = _lib.PROBLEMS()
        fn(byref(out), *args)
        self = cls._wrap(out)
        self._thunks = thunks
        return self

    @classmethod
    def quadratic(cls, dim):
        """Random quadratics f(theta) = ||W theta - y||^2 with W (dim x
        dim) and y drawn from N(0, 1), starting at theta ~ N(0, 0.01^2)."""
        return cls._create(L.ml_problems_create_quadratic,
                           _arrays.size_arg(dim, "dim"))

    @classmethod
    def mlp(cls, dataset, hidden=20, batch=128):
        """Training a classifier with one hidden layer of ``hidden``
        sigmoid units on mini-batches of ``batch`` examples of ``dataset``
        (cross-entropy).  The family keeps its own reference to the
        examples: the data set may be closed afterwards."""
        if not isinstance(dataset, Dataset):
            raise TypeError("dataset must be a metalearn.Dataset, not %s"
                            % type(dataset).__name__)
        hidden = _arrays.size_arg(hidden, "hidden")
        batch = _arrays.size_arg(batch, "batch")
        with using(dataset):
            return cls._create(L.ml_problems_create_mlp, dataset._handle(),
                               hidden, batch)

    @classmethod
    def from_callbacks(cls, n_params, sample, objective, release=None):
        """A family defined by Python callables, every problem with
        ``n_params`` parameters:

        * ``sample(seed) -> (theta0, problem)``: the problem for an
          integer seed (the same seed must give the same problem) and its
          starting point, ``n_params`` numbers; ``problem`` is any Python
          object, handed back to the other two.
        * ``objective(problem, theta) -> (value, grad)``: the objective at
          ``theta`` (a new float32 array of ``n_params``, an
          array.array('f') without numpy) and its gradient, ``n_params``
          numbers.  It may be stochastic (mini-batches).
        * ``release(problem)``, optional: called when the library is done
          with a problem.

        An exception raised by ``sample`` or ``objective`` stops the
        library's call, which then raises that exception; one raised by
        ``release`` goes to sys.unraisablehook.  A non-finite value or
        gradient is a NumericError.  The callables run on the thread that
        calls meta_step() or run().
        """
        n = _arrays.size_arg(n_params, "n_params")
        thunks = Thunks(sample, objective, release)
        return cls._create(L.ml_problems_create_callback, n, thunks.sample,
                           thunks.objective, thunks.release, None,
                           thunks=thunks)

    def _call(self, fn, *args):
        """Calls fn, re-raising a callback's own exception."""
        if self._thunks is None:
            return fn(*args)
        return self._thunks.call(fn, *args)

    @property
    def dim(self):
        """Parameters per problem."""
        with using(self):
            return L.ml_problems_dim(self._handle())

    def run(self, optimizer, seed, steps):
        """Optimises the problem ``seed`` with ``optimizer`` for ``steps``
        steps from its starting point; returns the steps + 1 objective
        values (float64; the first at the start).  The optimiser's state
        is reset first, its settings and learned weights are kept.

        A NumericError (the objective diverged) carries the losses up to
        there in its ``losses`` attribute, NaN after.
        """
        if not isinstance(optimizer, Optimizer):
            raise TypeError("optimizer must be a metalearn.Optimizer, not %s"
                            % type(optimizer).__name__)
        seed = _arrays.seed_arg(seed)
        steps = _arrays.size_arg(steps, "steps")
        losses, buf = _arrays.new_out("d", (steps + 1,))
        with using(self, optimizer):
            try:
                self._call(L.ml_problems_run, self._handle(),
                           optimizer._handle(), seed, steps, buf)
            except errors.NumericError as e:
                e.losses = losses
                raise
        return losses

    def __repr__(self):
        if self.closed:
            return "<metalearn.Problems (closed)>"
        kind = "callbacks" if self._thunks is not None else "built-in"
        return "<metalearn.Problems %s, %d parameters>" % (kind, self.dim)
