"""Update rules: SGD, Adam, RMSprop and the learned LSTM optimiser."""

import weakref
from ctypes import byref, c_double

from . import _arrays, _lib, errors
from ._handle import last_error_property, using
from ._persist import Persistent

L = _lib.lib

KINDS = {"sgd": 1, "adam": 2, "rmsprop": 3, "lstm": 4}  # enum ml_optimizer_kind
_KIND_NAMES = {v: k for k, v in KINDS.items()}

# enum ml_optimizer_param; the LSTM's keys are ML_OPT_LSTM_* without the
# prefix
PARAMS = {
    "lr": 1, "momentum": 2, "nesterov": 3, "beta1": 4, "beta2": 5,
    "eps": 6, "weight_decay": 7, "rms_decay": 8,
    "hidden": 20, "preprocess": 21, "output_scale": 22, "horizon": 23,
    "unroll": 24, "meta_lr": 25, "problems": 26, "exact": 27,
    "loss_power": 28, "seed": 29, "meta_steps": 30,
}
# Keys whose values are whole numbers: get() returns them as int.
_COUNTS = {20, 21, 23, 24, 26, 27, 29, 30}


def _kind(kind):
    return _arrays.named_arg(kind, KINDS, "optimizer kind")


def _key(key):
    return _arrays.named_arg(key, PARAMS, "optimizer parameter")


def _param_property(name, doc, read_only=False):
    return property(lambda self: self.get(name),
                    None if read_only else lambda self, v: self.set(name, v),
                    doc=doc)


def _free(ptr, families):
    """The finalizer: ``families`` (unused here) is held by it so that
    the callbacks of the problems in flight outlive ml_optimizer_free,
    which releases those problems."""
    L.ml_optimizer_free(ptr)


class Optimizer(Persistent):
    """An update rule::

        opt = Optimizer('adam', lr=0.01)
        opt.step(params, grads)   # params: float32 array, updated in place

    Hyperparameters are keyword arguments, properties (``lr``,
    ``momentum``, ``nesterov``, ``beta1``, ``beta2``, ``eps``,
    ``weight_decay``, ``rms_decay``) or get()/set() by name; those left out
    keep the library's defaults, and the library checks every value (a key
    the kind does not use is an InvalidArgument).

    The learned LSTM optimiser (kind ``'lstm'``) is meta-trained on a
    family of problems (metalearn.Problems) and then used like the others::

        opt = Optimizer('lstm', problems=32, horizon=100, unroll=20)
        for _ in range(200):
            opt.meta_step(family)
        opt.save('lstm.mlrn')

    Its settings: ``hidden``, ``preprocess`` and ``seed`` (setting one
    redraws the weights), ``output_scale``, and for meta-training
    ``horizon``, ``unroll``, ``meta_lr``, ``problems``, ``exact``,
    ``loss_power``; ``meta_steps`` counts the meta-training steps.

    save() and to_bytes() keep the kind, the settings, the learned weights
    and their meta-training state (Adam's moments, the generator of the
    problems); not the state of step() nor the problems in flight.
    """

    _free_name = "ml_optimizer_free"
    _c_prefix = "ml_optimizer"
    _c_pointer = _lib.OPTIMIZER
    last_error = last_error_property("ml_optimizer_last_error")

    def __init__(self, kind="adam", **params):
        out = _lib.OPTIMIZER()
        L.ml_optimizer_create(byref(out), _kind(kind))
        self._adopt(out)
        try:
            for name in params:
                if name not in PARAMS:
                    raise TypeError("Optimizer() got an unexpected keyword "
                                    "argument %r" % name)
            for name in params:
                self.set(name, params[name])
        except BaseException:
            self.close()
            raise

    def _adopt(self, ptr):
        super()._adopt(ptr)
        # The families whose problems may be in flight: C may call their
        # release callback until ml_optimizer_free, so the finalizer itself
        # holds them (and through Problems._thunks their callbacks), not
        # only this object, whose attributes may be gone by then.
        self._families = []
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _free, ptr, self._families)

    @property
    def kind(self):
        """'sgd', 'adam', 'rmsprop' or 'lstm'."""
        with using(self):
            k = L.ml_optimizer_kind_of(self._handle())
        return _KIND_NAMES.get(k, k)

    def get(self, key):
        """A hyperparameter by name ('lr', 'beta1', ...) or value; the
        LSTM's counts come back as int."""
        k = _key(key)
        v = c_double()
        with using(self):
            L.ml_optimizer_get(self._handle(), k, byref(v))
        return int(v.value) if k in _COUNTS else v.value

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
    hidden = _param_property("hidden", "LSTM: hidden units per layer.")
    preprocess = _param_property("preprocess",
                                 "LSTM: 1 for log/sign gradient inputs.")
    output_scale = _param_property("output_scale",
                                   "LSTM: factor on the network's output.")
    horizon = _param_property("horizon", "LSTM: trajectory length T.")
    unroll = _param_property("unroll", "LSTM: steps per truncated BPTT.")
    meta_lr = _param_property("meta_lr", "LSTM: Adam rate on the weights.")
    problems = _param_property("problems",
                               "LSTM: problems side by side per meta-step.")
    exact = _param_property("exact", "LSTM: 1 keeps second derivatives.")
    loss_power = _param_property("loss_power",
                                 "LSTM: meta-loss weight (t / T)^power.")
    seed = _param_property("seed", "LSTM: seed of weights and problems.")
    meta_steps = _param_property("meta_steps",
                                 "LSTM: meta-training steps done.",
                                 read_only=True)

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

    # ---- the learned optimiser ----

    def meta_step(self, problems):
        """One meta-training step of an 'lstm' optimiser on a family
        (metalearn.Problems); returns the mean objective over the unrolled
        steps and problems, before the update."""
        from .problems import Problems  # problems.py imports this module
        if not isinstance(problems, Problems):
            raise TypeError("problems must be a metalearn.Problems, not %s"
                            % type(problems).__name__)
        loss = c_double()
        with using(self, problems):
            try:
                problems._call(L.ml_optimizer_meta_step, self._handle(),
                               problems._handle(), byref(loss))
            except BaseException:
                # A failure may leave the previous family in flight.
                if problems not in self._families:
                    self._families.append(problems)
                raise
            # In flight now: this family's problems, no other's.
            self._families[:] = [problems]
        return loss.value

    @property
    def num_weights(self):
        """Number of learned weights (0 for the hand-designed kinds)."""
        with using(self):
            return L.ml_optimizer_num_weights(self._handle())

    def get_weights(self, out=None):
        """A copy of the learned weights: a new float32 array, or written
        into ``out`` (a writable float32 buffer of num_weights)."""
        with using(self):
            ptr = self._handle()
            n = L.ml_optimizer_num_weights(ptr)
            result, buf = _arrays.floats_out(out, (n,))
            L.ml_optimizer_get_weights(ptr, buf, n)
        return result

    def set_weights(self, values):
        """Replaces the learned weights (exactly num_weights values) and
        clears the hidden and meta-training state."""
        v = _arrays.floats_in(values, "weights")
        with using(self):
            L.ml_optimizer_set_weights(self._handle(), v.ptr, v.size)

    weights = property(lambda self: self.get_weights(),
                       lambda self, v: self.set_weights(v),
                       doc="The learned weights (get: a copy; set: replace).")

    # ---- persistence: save, load, to_bytes, from_bytes (Persistent) ----

    def __repr__(self):
        if self.closed:
            return "<metalearn.Optimizer (closed)>"
        if self.kind == "lstm":
            return "<metalearn.Optimizer lstm hidden=%d, %d meta-steps>" % (
                self.hidden, self.meta_steps)
        return "<metalearn.Optimizer %s lr=%g>" % (self.kind, self.lr)
