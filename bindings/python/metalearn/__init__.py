"""libmetalearn from Python: meta-learning and few-shot learning.

A pure-ctypes binding: nothing is compiled, the shared library is loaded
at import (see metalearn._lib for where it is looked for).  Example::

    import metalearn as ml

    sampler = ml.Sampler.sine(seed=2)
    learner = ml.Learner(ml.Model.mlp(1, [40, 40, 1]), 'maml', seed=1)
    for _ in range(1000):
        learner.meta_step(sampler.sample_batch(25))
    task = sampler.sample()
    print(learner.evaluate([task], steps=10).loss)

Errors raise subclasses of MetalearnError (see metalearn.errors).  numpy
arrays are used when numpy is importable (and METALEARN_NO_NUMPY is not
set); otherwise sequences go in and array.array comes out.
"""

from ._version import __version__
from . import _lib
from ._arrays import have_numpy
from .errors import (CallbackError, ClosedError, CorruptError, FileError,
                     FormatError, InternalError, InvalidArgument,
                     MetalearnError, NumericError, OutOfMemory, RangeError,
                     ShapeError, StateError, Unsupported, VersionError)
from .model import Model, ModelView
from .task import Task
from .dataset import Dataset
from .sampler import Sampler
from .optimizer import Optimizer
from .problems import Problems
from .learner import EvalResult, Learner

#: Where the shared library was loaded from.
library_path = _lib.library_path


def version():
    """The library's version string, e.g. '0.1.0' (ml_version_string)."""
    return _lib.lib.ml_version_string().decode()


def version_number():
    """The library's version as major * 10000 + minor * 100 + patch."""
    return _lib.lib.ml_version_number()


def status_str(status):
    """The name and meaning of a status code (ml_status_str)."""
    from ._arrays import int_arg
    return _lib.lib.ml_status_str(int_arg(status, "status")).decode()


def last_error():
    """The message of this thread's last failed library call
    (ml_last_error); exceptions already carry it."""
    return _lib.lib.ml_last_error().decode("utf-8", "replace")


__all__ = [
    "__version__", "version", "version_number", "status_str", "last_error",
    "library_path", "have_numpy",
    "Model", "ModelView", "Task", "Dataset", "Sampler", "Optimizer", "Learner",
    "EvalResult", "Problems",
    "MetalearnError", "InvalidArgument", "OutOfMemory", "ShapeError",
    "StateError", "ClosedError", "FileError", "FormatError", "CorruptError",
    "VersionError", "Unsupported", "NumericError", "RangeError",
    "InternalError", "CallbackError",
]
