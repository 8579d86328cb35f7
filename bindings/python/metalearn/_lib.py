"""Finding and loading libmetalearn, and the one table of its functions.

Every C function of include/metalearn.h is declared exactly once, in
FUNCTIONS below, with its restype and argtypes; nothing else in the
package calls ctypes with an undeclared signature.  Handles are typed
pointers to distinct opaque structures, so passing a task where a learner
is expected fails in ctypes instead of in C.

The library is looked for in this order (the first that exists is used):

1. ``$METALEARN_LIBRARY``: the full path of the shared library.  When the
   variable is set, nothing else is tried.
2. Next to this package: a ``libmetalearn.so.<MAJOR>`` copied into the
   ``metalearn`` package directory.
3. ``$METALEARN_BUILD_DIR/lib/libmetalearn.so.<MAJOR>`` when that variable
   names a meson build directory.
4. The system's loader: ``ctypes.util.find_library("metalearn")``, then
   ``libmetalearn.so.<MAJOR>`` through dlopen()'s own search
   (LD_LIBRARY_PATH, the ld.so cache).

A candidate file that exists but cannot be loaded is an error (it is never
skipped silently).  After loading, the library's major version
(``ml_version_number() // 10000``) must equal this package's.
"""

import ctypes
import ctypes.util
import os
import sys
from ctypes import (CFUNCTYPE, POINTER, c_char, c_char_p, c_double, c_float,
                    c_int, c_size_t, c_uint, c_uint64, c_void_p)

from . import errors
from ._version import __version__

PACKAGE_MAJOR = int(__version__.split(".")[0])


# ---- opaque handle types ------------------------------------------------

class ModelStruct(ctypes.Structure):
    """struct ml_model (opaque)."""


class TaskStruct(ctypes.Structure):
    """struct ml_task (opaque)."""


class SamplerStruct(ctypes.Structure):
    """struct ml_sampler (opaque)."""


class DatasetStruct(ctypes.Structure):
    """struct ml_dataset (opaque)."""


class OptimizerStruct(ctypes.Structure):
    """struct ml_optimizer (opaque)."""


class LearnerStruct(ctypes.Structure):
    """struct ml_learner (opaque)."""


class ProblemsStruct(ctypes.Structure):
    """struct ml_problems (opaque)."""


MODEL = POINTER(ModelStruct)
TASK = POINTER(TaskStruct)
SAMPLER = POINTER(SamplerStruct)
DATASET = POINTER(DatasetStruct)
OPTIMIZER = POINTER(OptimizerStruct)
LEARNER = POINTER(LearnerStruct)
PROBLEMS = POINTER(ProblemsStruct)
FLOATS = POINTER(c_float)
INTS = POINTER(c_int)
DOUBLES = POINTER(c_double)
SIZES = POINTER(c_size_t)
TASKS = POINTER(TASK)           # ml_task *const *
CHARS = POINTER(c_char)         # a writable char buffer

# The callbacks of a caller's problem family (ml_problem_*_fn).
SAMPLE_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_size_t, FLOATS,
                      POINTER(c_void_p))
OBJECTIVE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, FLOATS, FLOATS,
                         DOUBLES)
RELEASE_FN = CFUNCTYPE(None, c_void_p, c_void_p)

# Marks a function returning ml_status: declared as c_int, and a non-zero
# result raises the matching MetalearnError.
STATUS = "ml_status"

# Enumerations are passed as int (their C type is int-sized).
ENUM = c_int

# (name, restype, argtypes): every function of include/metalearn.h, once.
FUNCTIONS = (
    # version and errors
    ("ml_version_string", c_char_p, ()),
    ("ml_version_number", c_uint, ()),
    ("ml_status_str", c_char_p, (c_int,)),
    ("ml_last_error", c_char_p, ()),
    # models
    ("ml_model_create", STATUS, (POINTER(MODEL), c_size_t, SIZES)),
    ("ml_model_add_dense", STATUS, (MODEL, c_size_t)),
    ("ml_model_add_activation", STATUS, (MODEL, ENUM)),
    ("ml_model_add_conv2d", STATUS,
     (MODEL, c_size_t, c_size_t, c_size_t, c_size_t)),
    ("ml_model_add_maxpool", STATUS, (MODEL, c_size_t)),
    ("ml_model_add_batchnorm", STATUS, (MODEL,)),
    ("ml_model_add_flatten", STATUS, (MODEL,)),
    ("ml_model_create_conv4", STATUS,
     (POINTER(MODEL), c_size_t, c_size_t, c_size_t, c_size_t, c_size_t,
      c_size_t)),
    ("ml_model_create_conv4_maps", STATUS,
     (POINTER(MODEL), c_size_t, c_size_t, c_size_t, c_size_t, c_size_t,
      c_size_t)),
    ("ml_model_create_mlp", STATUS,
     (POINTER(MODEL), c_size_t, c_size_t, SIZES, ENUM)),
    ("ml_model_free", None, (MODEL,)),
    ("ml_model_num_layers", c_size_t, (MODEL,)),
    ("ml_model_layer_kind", c_int, (MODEL, c_size_t)),
    ("ml_model_input_size", c_size_t, (MODEL,)),
    ("ml_model_output_size", c_size_t, (MODEL,)),
    ("ml_model_num_params", c_size_t, (MODEL,)),
    ("ml_model_describe", STATUS, (MODEL, CHARS, c_size_t, SIZES)),
    ("ml_model_last_error", c_char_p, (MODEL,)),
    # tasks
    ("ml_task_create_regression", STATUS,
     (POINTER(TASK), c_size_t, c_size_t, c_size_t, FLOATS, FLOATS,
      c_size_t, FLOATS, FLOATS)),
    ("ml_task_create_classification", STATUS,
     (POINTER(TASK), c_size_t, c_size_t, c_size_t, FLOATS, INTS,
      c_size_t, FLOATS, INTS)),
    ("ml_task_free", None, (TASK,)),
    ("ml_task_size", c_size_t, (TASK, ENUM)),
    ("ml_task_input_size", c_size_t, (TASK,)),
    ("ml_task_output_size", c_size_t, (TASK,)),
    ("ml_task_num_ways", c_size_t, (TASK,)),
    ("ml_task_get_inputs", STATUS, (TASK, ENUM, FLOATS, c_size_t)),
    ("ml_task_get_targets", STATUS, (TASK, ENUM, FLOATS, c_size_t)),
    ("ml_task_get_labels", STATUS, (TASK, ENUM, INTS, c_size_t)),
    # samplers
    ("ml_sampler_create_sine", STATUS, (POINTER(SAMPLER), c_uint64)),
    ("ml_sampler_create_episodes", STATUS,
     (POINTER(SAMPLER), DATASET, c_uint64)),
    ("ml_sampler_set", STATUS, (SAMPLER, ENUM, c_double)),
    ("ml_sampler_get", STATUS, (SAMPLER, ENUM, DOUBLES)),
    ("ml_sampler_reseed", STATUS, (SAMPLER, c_uint64)),
    ("ml_sampler_sample", STATUS, (SAMPLER, POINTER(TASK))),
    ("ml_sampler_free", None, (SAMPLER,)),
    ("ml_sampler_last_error", c_char_p, (SAMPLER,)),
    # data sets
    ("ml_dataset_create", STATUS,
     (POINTER(DATASET), c_size_t, c_size_t, SIZES, FLOATS, INTS)),
    ("ml_dataset_load_images", STATUS,
     (POINTER(DATASET), c_char_p, c_size_t, c_int)),
    ("ml_dataset_load_idx", STATUS, (POINTER(DATASET), c_char_p, c_char_p)),
    ("ml_dataset_free", None, (DATASET,)),
    ("ml_dataset_size", c_size_t, (DATASET,)),
    ("ml_dataset_num_classes", c_size_t, (DATASET,)),
    ("ml_dataset_input_size", c_size_t, (DATASET,)),
    ("ml_dataset_shape", STATUS, (DATASET, SIZES, SIZES)),
    ("ml_dataset_class_name", c_char_p, (DATASET, c_size_t)),
    ("ml_dataset_class_group", c_char_p, (DATASET, c_size_t)),
    ("ml_dataset_get", STATUS, (DATASET, c_size_t, FLOATS, c_size_t, INTS)),
    ("ml_dataset_split", STATUS,
     (DATASET, ENUM, c_char_p, c_uint64, POINTER(DATASET), POINTER(DATASET))),
    ("ml_dataset_last_error", c_char_p, (DATASET,)),
    # optimisers
    ("ml_optimizer_create", STATUS, (POINTER(OPTIMIZER), ENUM)),
    ("ml_optimizer_set", STATUS, (OPTIMIZER, ENUM, c_double)),
    ("ml_optimizer_get", STATUS, (OPTIMIZER, ENUM, DOUBLES)),
    ("ml_optimizer_kind_of", c_int, (OPTIMIZER,)),
    ("ml_optimizer_step", STATUS, (OPTIMIZER, c_size_t, FLOATS, FLOATS)),
    ("ml_optimizer_reset", STATUS, (OPTIMIZER,)),
    ("ml_optimizer_free", None, (OPTIMIZER,)),
    ("ml_optimizer_last_error", c_char_p, (OPTIMIZER,)),
    # the learned optimiser and its problem families
    ("ml_problems_create_quadratic", STATUS, (POINTER(PROBLEMS), c_size_t)),
    ("ml_problems_create_mlp", STATUS,
     (POINTER(PROBLEMS), DATASET, c_size_t, c_size_t)),
    ("ml_problems_create_callback", STATUS,
     (POINTER(PROBLEMS), c_size_t, SAMPLE_FN, OBJECTIVE_FN, RELEASE_FN,
      c_void_p)),
    ("ml_problems_dim", c_size_t, (PROBLEMS,)),
    ("ml_problems_run", STATUS,
     (PROBLEMS, OPTIMIZER, c_uint64, c_size_t, DOUBLES)),
    ("ml_problems_free", None, (PROBLEMS,)),
    ("ml_optimizer_meta_step", STATUS, (OPTIMIZER, PROBLEMS, DOUBLES)),
    ("ml_optimizer_num_weights", c_size_t, (OPTIMIZER,)),
    ("ml_optimizer_get_weights", STATUS, (OPTIMIZER, FLOATS, c_size_t)),
    ("ml_optimizer_set_weights", STATUS, (OPTIMIZER, FLOATS, c_size_t)),
    ("ml_optimizer_save", STATUS, (OPTIMIZER, c_char_p)),
    ("ml_optimizer_save_buffer", STATUS,
     (OPTIMIZER, c_void_p, c_size_t, SIZES)),
    ("ml_optimizer_load", STATUS, (POINTER(OPTIMIZER), c_char_p)),
    ("ml_optimizer_load_buffer", STATUS,
     (POINTER(OPTIMIZER), c_void_p, c_size_t)),
    # learners
    ("ml_learner_create", STATUS, (POINTER(LEARNER), MODEL, ENUM, c_uint64)),
    ("ml_learner_free", None, (LEARNER,)),
    ("ml_learner_last_error", c_char_p, (LEARNER,)),
    ("ml_learner_strategy", c_int, (LEARNER,)),
    ("ml_learner_model", MODEL, (LEARNER,)),
    ("ml_learner_set", STATUS, (LEARNER, ENUM, c_double)),
    ("ml_learner_get", STATUS, (LEARNER, ENUM, DOUBLES)),
    ("ml_learner_set_optimizer", STATUS, (LEARNER, OPTIMIZER)),
    ("ml_learner_set_inner_optimizer", STATUS, (LEARNER, OPTIMIZER)),
    ("ml_learner_num_meta_params", c_size_t, (LEARNER,)),
    ("ml_learner_get_meta_params", STATUS, (LEARNER, FLOATS, c_size_t)),
    ("ml_learner_set_meta_params", STATUS, (LEARNER, FLOATS, c_size_t)),
    ("ml_learner_meta_step", STATUS, (LEARNER, c_size_t, TASKS, DOUBLES)),
    ("ml_learner_meta_gradient", STATUS,
     (LEARNER, c_size_t, TASKS, FLOATS, c_size_t, DOUBLES)),
    ("ml_learner_meta_gradient_parts", STATUS,
     (LEARNER, c_size_t, TASKS, SIZES, c_size_t, SIZES)),
    ("ml_learner_meta_gradient_partial", STATUS,
     (LEARNER, c_size_t, TASKS, c_size_t, c_size_t, FLOATS, c_size_t, DOUBLES,
      c_size_t)),
    ("ml_learner_apply_gradient", STATUS, (LEARNER, FLOATS, c_size_t)),
    ("ml_learner_predict", STATUS,
     (LEARNER, TASK, c_int, c_size_t, FLOATS, FLOATS, c_size_t, INTS)),
    ("ml_learner_evaluate", STATUS,
     (LEARNER, c_size_t, TASKS, c_int, DOUBLES, DOUBLES, DOUBLES)),
    ("ml_learner_save", STATUS, (LEARNER, c_char_p)),
    ("ml_learner_save_buffer", STATUS, (LEARNER, c_void_p, c_size_t, SIZES)),
    ("ml_learner_load", STATUS, (POINTER(LEARNER), c_char_p)),
    ("ml_learner_load_buffer", STATUS, (POINTER(LEARNER), c_void_p, c_size_t)),
)


# ---- finding the library ------------------------------------------------

def _soname():
    if sys.platform == "darwin":
        return "libmetalearn.%d.dylib" % PACKAGE_MAJOR
    if sys.platform == "win32":
        return "metalearn-%d.dll" % PACKAGE_MAJOR
    return "libmetalearn.so.%d" % PACKAGE_MAJOR


def _load():
    """Loads the library; returns (CDLL, description of where it came from).

    Raises ImportError naming every place looked at when none has it.
    """
    soname = _soname()

    def open_file(path, origin):
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            raise ImportError("metalearn: cannot load %s (%s): %s"
                              % (path, origin, e)) from e

    explicit = os.environ.get("METALEARN_LIBRARY")
    if explicit:
        if not os.path.exists(explicit):
            raise ImportError("metalearn: METALEARN_LIBRARY=%s does not exist"
                              % explicit)
        return open_file(os.path.abspath(explicit), "METALEARN_LIBRARY")

    tried = ["METALEARN_LIBRARY (not set)"]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), soname)
    if os.path.exists(here):
        return open_file(here, "next to the package")
    tried.append(here)

    build = os.environ.get("METALEARN_BUILD_DIR")
    if build:
        path = os.path.join(os.path.abspath(build), "lib", soname)
        if os.path.exists(path):
            return open_file(path, "METALEARN_BUILD_DIR")
        tried.append(path)
    else:
        tried.append("METALEARN_BUILD_DIR (not set)")

    names = []
    found = ctypes.util.find_library("metalearn")
    if found:
        names.append(found)
    names.append(soname)
    for name in names:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            tried.append("%s (system loader: %s)" % (name, e))
    raise ImportError("metalearn: libmetalearn not found; looked at:\n  "
                      + "\n  ".join(tried)
                      + "\nSet METALEARN_LIBRARY to the full path of "
                      + soname + ".")


def _decode(b):
    return b.decode("utf-8", "replace") if b else ""


# Where a failing call on a handle keeps its own message (the fallback when
# the thread's message is empty).
_HANDLE_ERROR = {
    MODEL: "ml_model_last_error",
    SAMPLER: "ml_sampler_last_error",
    DATASET: "ml_dataset_last_error",
    OPTIMIZER: "ml_optimizer_last_error",
    LEARNER: "ml_learner_last_error",
}


def _check_status(result, func, args):
    """errcheck of the ml_status functions: raise on a non-zero status.

    The message is the calling thread's ml_last_error(), read at once on
    the thread that made the call (ctypes calls run on the calling OS
    thread, and nothing else calls the library in between): the library
    stores it for every failing call.  A handle's own *_last_error is the
    fallback; it is not preferred because some failures (bad keys of
    ml_learner_get, ml_sampler_get) leave the handle's message as it was.
    """
    if result == 0:
        return result
    message = _decode(lib.ml_last_error())
    if not message and args:
        getter = _HANDLE_ERROR.get(type(args[0]))
        if getter and args[0]:
            message = _decode(getattr(lib, getter)(args[0]))
    if not message:
        message = _decode(lib.ml_status_str(result))
    raise errors.error_from_status(result, message, func.__name__)


def _declare(cdll, path):
    missing = []
    for name, restype, argtypes in FUNCTIONS:
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.argtypes = list(argtypes)
        if restype is STATUS:
            fn.restype = c_int
            fn.errcheck = _check_status
        else:
            fn.restype = restype
    if missing:
        raise ImportError("metalearn: %s lacks %s (a library older than the "
                          "package?)" % (path, ", ".join(missing)))


lib, library_path = _load()
_declare(lib, library_path)

library_version_number = lib.ml_version_number()
library_version = _decode(lib.ml_version_string())
if library_version_number // 10000 != PACKAGE_MAJOR:
    raise ImportError(
        "metalearn: %s is libmetalearn %s (major %d) but this package %s "
        "needs major %d" % (library_path, library_version,
                            library_version_number // 10000, __version__,
                            PACKAGE_MAJOR))
