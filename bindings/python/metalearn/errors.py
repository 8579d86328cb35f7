"""Exceptions raised for the library's status codes.

Every failing C call raises the subclass of :class:`MetalearnError` that
matches its ``ml_status``; the exception carries the status (``.status``),
its name (``.status_name``, e.g. ``"ML_ERR_SHAPE"``) and the library's
message for the failing call (``.message``).  The subclasses also derive
from the matching built-in exception where there is a natural one, so
``except ValueError`` catches a shape error and ``except OSError`` a file
that cannot be read.

A few errors are detected by the binding itself before anything reaches
the C library (for instance two arrays whose numbers of examples differ,
which C cannot see because it receives bare pointers); they use the same
classes with the status the library would have used.
"""

__all__ = [
    "MetalearnError", "InvalidArgument", "OutOfMemory", "ShapeError",
    "StateError", "ClosedError", "FileError", "FormatError", "CorruptError",
    "VersionError", "Unsupported", "NumericError", "RangeError",
    "InternalError", "CallbackError", "error_from_status",
]

# The values of enum ml_status in include/metalearn.h (pinned forever).
OK = 0
ERR_INVALID_ARG = -1
ERR_NOMEM = -2
ERR_SHAPE = -3
ERR_STATE = -4
ERR_IO = -5
ERR_FORMAT = -6
ERR_CORRUPT = -7
ERR_VERSION = -8
ERR_UNSUPPORTED = -9
ERR_NUMERIC = -10
ERR_RANGE = -11
ERR_INTERNAL = -12
ERR_CALLBACK = -13

_STATUS_NAMES = {
    ERR_INVALID_ARG: "ML_ERR_INVALID_ARG", ERR_NOMEM: "ML_ERR_NOMEM",
    ERR_SHAPE: "ML_ERR_SHAPE", ERR_STATE: "ML_ERR_STATE",
    ERR_IO: "ML_ERR_IO", ERR_FORMAT: "ML_ERR_FORMAT",
    ERR_CORRUPT: "ML_ERR_CORRUPT", ERR_VERSION: "ML_ERR_VERSION",
    ERR_UNSUPPORTED: "ML_ERR_UNSUPPORTED", ERR_NUMERIC: "ML_ERR_NUMERIC",
    ERR_RANGE: "ML_ERR_RANGE", ERR_INTERNAL: "ML_ERR_INTERNAL",
    ERR_CALLBACK: "ML_ERR_CALLBACK",
}


class MetalearnError(Exception):
    """Base class of every error the library reports.

    Attributes:
        status: the ``ml_status`` code (a negative int).
        status_name: its name, e.g. ``"ML_ERR_CORRUPT"``.
        message: the library's message for the failing call.
        function: the C function that failed, or None when the binding
            itself detected the problem.
    """

    status = None  # set on each subclass

    def __init__(self, message, status=None, function=None):
        if status is not None:
            self.status = status
        self.message = message
        self.function = function
        self.status_name = _STATUS_NAMES.get(self.status, "unknown status")
        # One argument only: OSError would read two as (errno, strerror).
        super().__init__(message)

    def __str__(self):
        return "%s [%s]" % (self.message or "(no message)", self.status_name)


class InvalidArgument(MetalearnError, ValueError):
    """ML_ERR_INVALID_ARG: an argument is missing, out of range or inconsistent."""
    status = ERR_INVALID_ARG


class OutOfMemory(MetalearnError, MemoryError):
    """ML_ERR_NOMEM: a memory allocation failed."""
    status = ERR_NOMEM


class ShapeError(MetalearnError, ValueError):
    """ML_ERR_SHAPE: array sizes or shapes do not agree."""
    status = ERR_SHAPE


class StateError(MetalearnError, RuntimeError):
    """ML_ERR_STATE: the object is not in a state that allows the call."""
    status = ERR_STATE


class ClosedError(StateError):
    """A method was called on a handle after its close()."""


class FileError(MetalearnError, OSError):
    """ML_ERR_IO: a file could not be opened, read or written."""
    status = ERR_IO


class FormatError(MetalearnError, ValueError):
    """ML_ERR_FORMAT: not a libmetalearn file, or not the expected object."""
    status = ERR_FORMAT


class CorruptError(MetalearnError, ValueError):
    """ML_ERR_CORRUPT: damaged data (checksum, truncation, inconsistency)."""
    status = ERR_CORRUPT


class VersionError(MetalearnError, ValueError):
    """ML_ERR_VERSION: data written by an incompatible version."""
    status = ERR_VERSION


class Unsupported(MetalearnError):
    """ML_ERR_UNSUPPORTED: the operation does not apply to this kind of object."""
    status = ERR_UNSUPPORTED


class NumericError(MetalearnError, ArithmeticError):
    """ML_ERR_NUMERIC: a value or a computation is NaN or infinite."""
    status = ERR_NUMERIC


class RangeError(MetalearnError, ValueError):
    """ML_ERR_RANGE: an index or size is outside what the object holds."""
    status = ERR_RANGE


class InternalError(MetalearnError, RuntimeError):
    """ML_ERR_INTERNAL: an internal invariant failed (a library bug)."""
    status = ERR_INTERNAL


class CallbackError(MetalearnError, RuntimeError):
    """ML_ERR_CALLBACK: a caller-supplied callback reported a failure.
    When the callback was Python code that raised, its own exception is
    raised instead (see metalearn.Problems.from_callbacks)."""
    status = ERR_CALLBACK


_BY_STATUS = {cls.status: cls for cls in (
    InvalidArgument, OutOfMemory, ShapeError, StateError, FileError,
    FormatError, CorruptError, VersionError, Unsupported, NumericError,
    RangeError, InternalError, CallbackError)}


def error_from_status(status, message, function=None):
    """The exception for a status code (MetalearnError for an unknown one)."""
    cls = _BY_STATUS.get(status, MetalearnError)
    return cls(message, status, function)
