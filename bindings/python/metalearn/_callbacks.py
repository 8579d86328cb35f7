"""The C callbacks of a problem family defined by Python callables.

The library calls three C functions (ml_problem_sample_fn, _objective_fn,
_release_fn); here they are ctypes thunks around the caller's callables.
Three rules shape them:

* An exception must never reach C: ctypes would only report it to
  sys.unraisablehook and hand C an unspecified status.  Every thunk catches everything
  (KeyboardInterrupt too), keeps the exception for the calling thread and
  returns 1, so the library stops with ML_ERR_CALLBACK; the binding then
  raises the kept exception instead of the library's CallbackError
  (Thunks.call).  The release callback cannot report a failure, so its
  exceptions go to sys.unraisablehook, as those of __del__ do.
* C holds each problem as a ``void *``: the thunks hand out integer keys
  into a dictionary of the caller's problem objects, dropped on release,
  so any Python object can be a problem and none is freed under C.
* The thunks and everything they reach must live as long as C may call
  them -- longer than the family's handle, since an optimiser keeps the
  family while its problems are in flight.  Their owner (Problems, and
  through it every Optimizer that meta-trained on it) keeps this object.
  Nothing here refers back to the owner, so there is no reference cycle.
"""

import ctypes
import itertools
import threading

from . import _arrays, _lib, errors


def _pair(result, what, names):
    """The two items of a callback's result, or a TypeError naming them.
    Only a tuple or a list: a 2-element array would be taken apart."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("%s must return a pair (%s), not %s"
                        % (what, names, type(result).__name__))
    return result[0], result[1]


def _copy_in(ptr, floats, n, what):
    """Copies a callback's result into n floats at ptr (C memory)."""
    x = _arrays.floats_in(floats, what)
    if x.size != n:
        raise errors.ShapeError("%s has %d values, the family %d"
                                % (what, x.size, n))
    ctypes.memmove(ptr, x.ptr, n * ctypes.sizeof(ctypes.c_float))


def _copy_out(ptr, n):
    """A new float32 array with the n floats at ptr: the callable may keep
    it, while ptr is only valid during the call."""
    a, buf = _arrays.new_out("f", (n,))
    ctypes.memmove(buf, ptr, n * ctypes.sizeof(ctypes.c_float))
    return a


class Thunks:
    """The C callbacks of one family, and what they need."""

    def __init__(self, sample, objective, release):
        for name, fn in (("sample", sample), ("objective", objective)):
            if not callable(fn):
                raise TypeError("%s must be callable, not %s"
                                % (name, type(fn).__name__))
        if release is not None and not callable(release):
            raise TypeError("release must be callable or None, not %s"
                            % type(release).__name__)
        problems = {}            # key -> the caller's problem object
        keys = itertools.count(1)  # never 0: that would be a NULL problem
        pending = threading.local()

        def failed(exc):
            if getattr(pending, "exc", None) is None:
                pending.exc = exc  # the first failure is the cause
            return 1

        def c_sample(_user, seed, count, theta0, out):
            try:
                theta, problem = _pair(sample(seed), "sample(seed)",
                                       "theta0, problem")
                _copy_in(theta0, theta, count, "theta0")
                key = next(keys)
                problems[key] = problem
                out[0] = key
                return 0
            except BaseException as e:  # noqa: B902 -- nothing may reach C
                return failed(e)

        def c_objective(_user, key, count, theta, grad, value):
            try:
                problem = problems[key]
                v, g = _pair(objective(problem, _copy_out(theta, count)),
                             "objective(problem, theta)", "value, grad")
                v = _arrays.float_arg(v, "the objective's value")
                _copy_in(grad, g, count, "grad")
                value[0] = v
                return 0
            except BaseException as e:  # noqa: B902
                return failed(e)

        def c_release(_user, key):
            # An exception here is left to ctypes, which reports it through
            # sys.unraisablehook and returns to C normally: the right
            # handling for a callback that has no way to fail.
            problem = problems.pop(key, None)
            if release is not None:
                release(problem)

        self.problems = problems
        self._pending = pending
        self.sample = _lib.SAMPLE_FN(c_sample)
        self.objective = _lib.OBJECTIVE_FN(c_objective)
        self.release = _lib.RELEASE_FN(c_release)

    def call(self, fn, *args):
        """Calls a library function that may run the callbacks on this
        thread; when it fails because a callback raised, raises that
        exception (with its traceback) instead of the CallbackError."""
        self._pending.exc = None
        try:
            return fn(*args)
        except errors.CallbackError:
            exc = self._pending.exc
            if exc is None:
                raise
        finally:
            self._pending.exc = None  # no traceback kept past the call
        # Outside the except block, so the library's error is not shown
        # as the context of the caller's own.
        raise exc
