"""Learners: a model, a meta-learning strategy and its meta-parameters."""

import collections
from ctypes import byref, c_double, c_size_t

from . import _arrays, _lib, errors
from ._handle import last_error_property, using
from ._persist import Persistent
from .model import Model, ModelView
from .optimizer import Optimizer
from .task import Task

L = _lib.lib

# enum ml_strategy
STRATEGIES = {"maml": 1, "fomaml": 2, "reptile": 3, "metasgd": 4, "joint": 5,
              "lstm": 6, "protonet": 10, "siamese": 11, "relation": 12,
              "matching": 13}
_STRATEGY_NAMES = {v: k for k, v in STRATEGIES.items()}

# enum ml_learner_param; the second item says whether the value is a count
PARAMS = {
    "inner_lr": (1, False),
    "inner_steps": (2, True),
    "threads": (3, True),
    "iteration": (4, True),
    "reptile_epsilon": (100, False),
    "reptile_epsilon_final": (101, False),
    "reptile_anneal_iters": (102, True),
    "reptile_inner_adam": (103, True),
}

_COUNT_CODES = {code for code, is_count in PARAMS.values() if is_count}

EvalResult = collections.namedtuple("EvalResult", "loss accuracy per_task")
EvalResult.__doc__ = """The result of Learner.evaluate(): the mean query
loss, the mean query accuracy (NaN for regression tasks) and each task's
query loss."""


def _strategy(strategy):
    return _arrays.named_arg(strategy, STRATEGIES, "strategy")


def _key(key):
    v = _arrays.named_arg(key, PARAMS, "learner parameter")
    return v[0] if isinstance(v, tuple) else v


def _task_list(tasks):
    """A list of Task objects from one Task or an iterable of them."""
    if isinstance(tasks, Task):
        return [tasks]
    try:
        tasks = list(tasks)
    except TypeError:
        raise TypeError("tasks must be a Task or an iterable of Tasks, not %s"
                        % type(tasks).__name__) from None
    for t in tasks:
        if not isinstance(t, Task):
            raise TypeError("tasks must be Task objects, not %s"
                            % type(t).__name__)
    return tasks


def _task_array(tasks):
    """The C array of task pointers.  Call it with the tasks' locks held
    (inside ``using``): the caller's list keeps the Task objects, and so
    their C tasks, alive for the call."""
    if not tasks:
        return None
    return (_lib.TASK * len(tasks))(*[t._handle() for t in tasks])


def _param_property(name, doc, read_only=False):
    def fget(self):
        return self.get(name)

    def fset(self, value):
        self.set(name, value)

    return property(fget, None if read_only else fset, doc=doc)


class Learner(Persistent):
    """A model, a strategy and the strategy's meta-parameters::

        learner = Learner(Model.mlp(1, [40, 40, 1]), 'maml', seed=0,
                          inner_lr=0.01)
        loss = learner.meta_step(sampler.sample_batch(25))

    The model is copied when the learner is created.  Strategies:
    gradient-based 'maml', 'fomaml', 'reptile', 'metasgd', 'joint' and
    'lstm' (MAML whose inner update is a learned LSTM optimiser, see
    set_inner_optimizer) -- the model maps inputs to outputs and ends with
    a dense layer -- and metric
    'protonet', 'siamese', 'relation', 'matching' (the model is the
    embedding network).  Learner parameters are keyword arguments, properties or
    get()/set() by name; the library checks every value.  Tasks given to a
    call are only used during it.  save() and to_bytes() keep everything
    (model, settings, meta-parameters, optimiser and random state):
    training resumed from them continues bit for bit.
    """

    _free_name = "ml_learner_free"
    _c_prefix = "ml_learner"
    _c_pointer = _lib.LEARNER
    last_error = last_error_property("ml_learner_last_error")

    def __init__(self, model, strategy="maml", seed=0, **params):
        if not isinstance(model, (Model, ModelView)):
            raise TypeError("model must be a metalearn.Model, not %s"
                            % type(model).__name__)
        code = _strategy(strategy)
        seed = _arrays.seed_arg(seed)
        out = _lib.LEARNER()
        ctx, model_ptr = model._model()
        with ctx:
            L.ml_learner_create(byref(out), model_ptr(), code, seed)
        self._adopt(out)
        try:
            for name, value in params.items():
                if name not in PARAMS:
                    raise TypeError("Learner() got an unexpected keyword "
                                    "argument %r" % name)
                self.set(name, value)
        except BaseException:
            self.close()
            raise

    # ---- description and parameters ----

    @property
    def strategy(self):
        """The strategy's name."""
        with using(self):
            s = L.ml_learner_strategy(self._handle())
        return _STRATEGY_NAMES.get(s, s)

    @property
    def model(self):
        """The learner's own model, read-only (a ModelView)."""
        self._handle()
        return ModelView(self)

    def get(self, key):
        """A parameter by name ('inner_lr', ...) or ml_learner_param value;
        counts come back as int, rates as float."""
        k = _key(key)
        v = c_double()
        with using(self):
            L.ml_learner_get(self._handle(), k, byref(v))
        return int(v.value) if k in _COUNT_CODES else v.value

    def set(self, key, value):
        """Sets a parameter by name or ml_learner_param value."""
        k = _key(key)
        value = _arrays.float_arg(value, key)
        with using(self):
            L.ml_learner_set(self._handle(), k, value)

    inner_lr = _param_property("inner_lr", "Inner-loop step size alpha.")
    inner_steps = _param_property("inner_steps", "Inner steps in meta-training.")
    threads = _param_property("threads", "Worker threads for a meta-batch.")
    iteration = _param_property("iteration", "Meta-updates done so far.",
                                read_only=True)
    reptile_epsilon = _param_property("reptile_epsilon",
                                      "Reptile outer step size.")
    reptile_epsilon_final = _param_property(
        "reptile_epsilon_final", "Reptile: value epsilon is annealed to.")
    reptile_anneal_iters = _param_property(
        "reptile_anneal_iters", "Reptile: iterations of the annealing.")
    reptile_inner_adam = _param_property(
        "reptile_inner_adam", "Reptile: 1 for an Adam inner loop, 0 for SGD.")

    def set_optimizer(self, optimizer):
        """Uses a copy of ``optimizer``'s kind and hyperparameters as the
        outer optimiser (fresh state); the optimiser is not kept."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError("optimizer must be a metalearn.Optimizer, not %s"
                            % type(optimizer).__name__)
        with using(self, optimizer):
            L.ml_learner_set_optimizer(self._handle(), optimizer._handle())

    def set_inner_optimizer(self, optimizer):
        """An 'lstm' learner's inner update rule: a copy of a learned
        optimiser's settings and weights (an Optimizer('lstm'), e.g.
        meta-trained or loaded), refined by meta-training from there.
        Only before the first meta-step (StateError after)."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError("optimizer must be a metalearn.Optimizer, not %s"
                            % type(optimizer).__name__)
        with using(self, optimizer):
            L.ml_learner_set_inner_optimizer(self._handle(),
                                             optimizer._handle())

    # ---- meta-parameters ----

    @property
    def num_meta_params(self):
        """Length of the meta-parameter vector."""
        with using(self):
            return L.ml_learner_num_meta_params(self._handle())

    def get_meta_params(self, out=None):
        """A copy of the meta-parameters: a new float32 array, or written
        into ``out`` (a writable float32 buffer of the right size)."""
        with using(self):
            ptr = self._handle()
            n = L.ml_learner_num_meta_params(ptr)
            result, buf = _arrays.floats_out(out, (n,))
            L.ml_learner_get_meta_params(ptr, buf, n)
        return result

    def set_meta_params(self, values):
        """Overwrites the meta-parameters (exactly num_meta_params values)."""
        v = _arrays.floats_in(values, "meta-parameters")
        with using(self):
            L.ml_learner_set_meta_params(self._handle(), v.ptr, v.size)

    meta_params = property(lambda self: self.get_meta_params(),
                           lambda self, v: self.set_meta_params(v),
                           doc="The meta-parameters (get: a copy; set: overwrite).")

    # ---- training ----

    def meta_step(self, tasks):
        """One meta-training step on a meta-batch; returns the mean
        meta-loss."""
        tasks = _task_list(tasks)
        loss = c_double()
        with using(self, *tasks):
            L.ml_learner_meta_step(self._handle(), len(tasks),
                                   _task_array(tasks), byref(loss))
        return loss.value

    def meta_gradient(self, tasks, out=None):
        """The mean meta-gradient of a meta-batch, not applied: returns
        (gradient, loss).  ``out`` may be a float32 buffer to write into."""
        tasks = _task_list(tasks)
        loss = c_double()
        with using(self, *tasks):
            ptr = self._handle()
            n = L.ml_learner_num_meta_params(ptr)
            result, buf = _arrays.floats_out(out, (n,))
            L.ml_learner_meta_gradient(ptr, len(tasks), _task_array(tasks),
                                       buf, n, byref(loss))
        return result, loss.value

    def meta_gradient_parts(self, tasks):
        """How the library splits a meta-batch into parts (single tasks, or
        groups of tasks differentiated together): a list of part bounds,
        part p being tasks bounds[p] .. bounds[p + 1] - 1."""
        tasks = _task_list(tasks)
        n = len(tasks)
        bounds = (c_size_t * (n + 1))()
        parts = c_size_t()
        with using(self, *tasks):
            L.ml_learner_meta_gradient_parts(self._handle(), n, _task_array(tasks),
                                             bounds, n + 1, byref(parts))
        return list(bounds[:parts.value + 1])

    def meta_gradient_partial(self, tasks, first, end):
        """The undivided meta-gradient sums of parts ``first`` .. ``end``-1
        of a meta-batch (see meta_gradient_parts) and their tasks' losses:
        returns (sums of shape (end - first, num_meta_params), losses).
        Adding all parts' sums in part order and multiplying by
        float32(1 / len(tasks)) gives meta_gradient() bit for bit."""
        tasks = _task_list(tasks)
        first = _arrays.size_arg(first, "first")
        end = _arrays.size_arg(end, "end")
        bounds = self.meta_gradient_parts(tasks)
        k = end - first if end >= first else 0
        nt = bounds[end] - bounds[first] if k and end < len(bounds) else 0
        with using(self, *tasks):
            ptr = self._handle()
            n = L.ml_learner_num_meta_params(ptr)
            sums, buf = _arrays.new_out("f", (k, n))
            losses, lbuf = _arrays.new_out("d", (nt,))
            L.ml_learner_meta_gradient_partial(ptr, len(tasks), _task_array(tasks), first,
                                               end, buf, k * n, lbuf, nt)
        return sums, losses

    def apply_gradient(self, grad):
        """Applies a meta-gradient with the outer optimiser (one
        iteration)."""
        g = _arrays.floats_in(grad, "grad")
        with using(self):
            L.ml_learner_apply_gradient(self._handle(), g.ptr, g.size)

    # ---- adaptation ----

    def predict(self, task, inputs, steps=-1, out=None):
        """Adapts to ``task``'s support set (``steps`` inner steps; -1 for
        inner_steps, 0 for none) and predicts ``inputs``.

        ``inputs`` holds examples of the task's input size (shape (n, d),
        or (n,) when d is 1).  Returns outputs of shape (n, output size)
        -- written into ``out`` if given -- and, for a classification task,
        (outputs, labels).
        """
        if not isinstance(task, Task):
            raise TypeError("task must be a metalearn.Task, not %s"
                            % type(task).__name__)
        steps = _arrays.int_arg(steps, "steps")
        x = _arrays.floats_in(inputs, "inputs")
        with using(self, task):
            tp = task._handle()
            in_size = L.ml_task_input_size(tp)
            out_size = L.ml_task_output_size(tp)
            classify = L.ml_task_num_ways(tp) > 0
            if len(x.shape) >= 2 or in_size == 1:
                n = x.rows
                if n and x.row_size != in_size:
                    raise errors.ShapeError(
                        "inputs have %d values per example, the task %d"
                        % (x.row_size, in_size))
            elif x.size == in_size:
                n = 1  # one example as a flat vector
            else:
                raise errors.ShapeError(
                    "inputs of shape %s are not examples of %d values"
                    % (tuple(x.shape), in_size))
            count = n * out_size
            result, buf = _arrays.floats_out(out, (n, out_size))
            labels, lbuf = (_arrays.new_out("i", (n,)) if classify
                            else (None, None))
            L.ml_learner_predict(self._handle(), tp, steps, n, x.ptr, buf,
                                 count, lbuf)
        return (result, labels) if classify else result

    def evaluate(self, tasks, steps=-1):
        """Adapts to each task's support set and measures its query set.
        Returns EvalResult(loss, accuracy, per_task): accuracy is NaN for
        regression, per_task an array of each task's loss."""
        tasks = _task_list(tasks)
        loss, acc = c_double(), c_double()
        steps = _arrays.int_arg(steps, "steps")
        per_task, pbuf = _arrays.new_out("d", (len(tasks),))
        with using(self, *tasks):
            L.ml_learner_evaluate(self._handle(), len(tasks),
                                  _task_array(tasks), steps, byref(loss),
                                  byref(acc), pbuf)
        return EvalResult(loss.value, acc.value, per_task)

    # ---- persistence: save, load, to_bytes, from_bytes (Persistent) ----

    def copy(self):
        """An independent copy (through to_bytes / from_bytes)."""
        return Learner.from_bytes(self.to_bytes())

    def __reduce__(self):
        return (Learner.from_bytes, (self.to_bytes(),))

    def __repr__(self):
        if self.closed:
            return "<metalearn.Learner (closed)>"
        return "<metalearn.Learner %s on %s, iteration %d>" % (
            self.strategy, self.model.describe(), self.iteration)
