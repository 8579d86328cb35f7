"""Update rules: SGD, Adam, RMSprop."""

from ctypes import byref, c_double

from . import _arrays, _lib, errors
from ._handle import Handle, last_error_property, using

L = _lib.lib

KINDS = {"sgd": 1, "adam": 2, "rmsprop": 3}  # enum ml_optimizer_kind
_KIND_NAMES = {v: k for k, v in KINDS.items()}

# enum ml_optimizer_param
PARAMS = {
    "lr": 1, "momentum": 2, "nesterov": 3, "beta1": 4, "beta2": 5,
    "eps": 6, "weight_decay": 7, "rms_decay": 8,
}


def _kind(kind):
    return _arrays.named_arg(kind, KINDS, "optimizer kind")


def _key(key):
    return _arrays.named_arg(key, PARAMS, "optimizer parameter")


def _param_property(name, doc):
    return property(lambda self: self.get(name),
                    lambda self, v: self.set(name, v), doc=doc)


class Optimizer(Handle):
    """An update rule::

        opt = Optimizer('adam', lr=0.01)
        opt.step(params, grads)   # params: float32 array, updated in place

    Hyperparameters are keyword arguments, properties (``lr``,
    ``momentum``, ``nesterov``, ``beta1``, ``beta2``, ``eps``,
    ``weight_decay``, ``rms_decay``) or get()/set() by name; those left out
    keep the library's defaults, and the library checks every value (a key
    the kind does not use is an InvalidArgument).
    """

    _free_name = "ml_optimizer_free"
    last_error = last_error_property("ml_optimizer_last_error")

    def __init__(self, kind="adam", **params):
        out = _lib.OPTIMIZER()
        L.ml_optimizer_create(byref(out), _kind(kind))
        self._adopt(out)
        try:
            for name, value in params.items():
                if name not in PARAMS:
                    raise TypeError("Optimizer() got an unexpected keyword "
                                    "argument %r" % name)
                self.set(name, value)
        except BaseException:
            self.close()
            raise

    @property
    def kind(self):
        """'sgd', 'adam' or 'rmsprop'."""
        with using(self):
            k = L.ml_optimizer_kind_of(self._handle())
        return _KIND_NAMES.get(k, k)

    def get(self, key):
        """A hyperparameter by name ('lr', 'beta1', ...) or value."""
        k = _key(key)
        v = c_double()
        with using(self):
            L.ml_optimizer_get(self._handle(), k, byref(v))
        return v.value

    def set(self, key, value):
        """Sets a hyperparameter; the state (moments) is kept."""
        k = _key(key)
        value = _arrays.float_arg(value, key)
        with using(self):
            L.ml_optimizer_set(self._handle(), k, value)

    lr = _param_property("lr", "Learning rate.")
    momentum = _param_property("momentum", "SGD momentum in [0, 1).")
    nesterov = _param_property("nesterov", "SGD: 1 for Nesterov momentum.")
    beta1 = _param_property("beta1", "Adam: first-moment decay.")
    beta2 = _param_property("beta2", "Adam: second-moment decay.")
    eps = _param_property("eps", "Adam, RMSprop: denominator epsilon.")
    weight_decay = _param_property("weight_decay", "L2 penalty.")
    rms_decay = _param_property("rms_decay", "RMSprop smoothing constant.")

    def step(self, params, grads):
        """One update of ``params`` in place from ``grads``.

        ``params`` must be a writable C-contiguous float32 buffer (a numpy
        float32 array or array.array('f')); ``grads`` anything convertible
        to float32 with the same number of elements.  Returns ``params``.
        """
        ptr, n = _arrays.writable_floats(params, None, "params")
        g = _arrays.floats_in(grads, "grads")
        if g.size != n:
            raise errors.ShapeError("grads has %d values, params %d"
                                    % (g.size, n))
        with using(self):
            L.ml_optimizer_step(self._handle(), n, ptr if n else None, g.ptr)
        return params

    def reset(self):
        """Clears the state (moments, step count)."""
        with using(self):
            L.ml_optimizer_reset(self._handle())

    def __repr__(self):
        if self.closed:
            return "<metalearn.Optimizer (closed)>"
        return "<metalearn.Optimizer %s lr=%g>" % (self.kind, self.lr)
