"""Conversions between Python data and the C buffers of the API.

With numpy (the default when it is importable), inputs are passed to C
without a copy when they already are C-contiguous float32 (int32 for
labels) arrays, and converted with np.ascontiguousarray otherwise; results
come back as numpy arrays.  Without numpy (not installed, or the
environment variable METALEARN_NO_NUMPY set to a non-empty value other
than "0"), inputs may be nested sequences of numbers or array.array('f'),
and results are array.array ('f' floats, 'i' labels, 'd' doubles), flat
and row-major.

Outputs written in place (Optimizer.step's parameters, the ``out=``
arguments) must be writable C-contiguous float32 buffers: a numpy float32
array or an array.array('f'); they cannot be converted, since the caller
would not see the result.
"""

import array
import ctypes
import numbers
import operator
import os
from ctypes import c_double, c_float, c_int

from . import errors

_flag = os.environ.get("METALEARN_NO_NUMPY", "")
if _flag and _flag != "0":
    np = None
else:
    try:
        import numpy as np
    except ImportError:
        np = None

INT_MIN = -(2 ** 31)
INT_MAX = 2 ** 31 - 1
SIZE_MAX = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1
UINT64_MAX = 2 ** 64 - 1


def have_numpy():
    """True when results are numpy arrays."""
    return np is not None


# ---- scalars: ctypes truncates out-of-range integers silently ----------

def _integer(value, what):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError("%s must be an integer, not %s"
                        % (what, type(value).__name__)) from None


def size_arg(value, what):
    """A Python integer for a size_t parameter."""
    v = _integer(value, what)
    if v < 0 or v > SIZE_MAX:
        raise errors.InvalidArgument("%s must be in [0, %d], got %d"
                                     % (what, SIZE_MAX, v))
    return v


def int_arg(value, what):
    """A Python integer for an int parameter."""
    v = _integer(value, what)
    if v < INT_MIN or v > INT_MAX:
        raise errors.InvalidArgument("%s must fit a C int, got %d" % (what, v))
    return v


def named_arg(value, table, what):
    """An enum value given by name (a key of ``table``, any case) or as an
    integer; an unknown name is an InvalidArgument listing the known ones."""
    if isinstance(value, str):
        try:
            return table[value.lower()]
        except KeyError:
            raise errors.InvalidArgument(
                "unknown %s %r; expected one of %s"
                % (what, value, ", ".join(table))) from None
    return int_arg(value, what)


def seed_arg(value, what="seed"):
    """A Python integer for a uint64_t seed."""
    v = _integer(value, what)
    if v < 0 or v > UINT64_MAX:
        raise errors.InvalidArgument("%s must be in [0, 2^64 - 1], got %d"
                                     % (what, v))
    return v


def float_arg(value, what):
    """A Python float for a double parameter."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError("%s must be a number, not %s"
                        % (what, type(value).__name__)) from None


def path_arg(path):
    """A file system path (str, bytes or os.PathLike) as bytes for C."""
    p = os.fsencode(os.fspath(path))
    if b"\0" in p:
        raise ValueError("embedded NUL character in path")
    return p


# ---- input arrays -------------------------------------------------------

class Input:
    """Converted input data: ``ptr`` for C (None when empty), ``shape``,
    ``size`` (number of elements), and a reference keeping the memory
    alive as long as this object lives."""

    __slots__ = ("ptr", "shape", "size", "_keep")

    def __init__(self, ptr, shape, size, keep):
        self.ptr = ptr
        self.shape = shape
        self.size = size
        self._keep = keep

    @property
    def rows(self):
        """Examples: the first dimension (1 for a scalar)."""
        return self.shape[0] if self.shape else 1

    @property
    def row_size(self):
        """Elements per example: the product of the other dimensions
        (1 for a 1-D array: one value per example)."""
        n = 1
        for d in self.shape[1:]:
            n *= d
        return n


def _is_sequence(x):
    return not isinstance(x, (numbers.Number, str, bytes, bytearray))


def _shape_flat(obj, what):
    """The shape and the flat row-major list of a nested sequence."""
    if isinstance(obj, array.array):
        return (len(obj),), obj
    if isinstance(obj, (str, bytes, bytearray)):
        raise TypeError("%s must be numbers, not %s" % (what, type(obj).__name__))
    if isinstance(obj, numbers.Number):
        return (), [obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (list, tuple)):
        obj = obj.tolist()  # a numpy array while numpy is disabled, a memoryview
        if not isinstance(obj, list):
            return (), [obj]
    try:
        items = list(obj)
    except TypeError:
        raise TypeError("%s must be a sequence of numbers, not %s"
                        % (what, type(obj).__name__)) from None
    if not any(_is_sequence(i) for i in items):
        return (len(items),), items
    if not all(_is_sequence(i) for i in items):
        raise errors.ShapeError("%s mixes numbers and sequences" % what)
    subs = [_shape_flat(i, what) for i in items]
    inner = subs[0][0]
    if any(s != inner for s, _ in subs):
        raise errors.ShapeError("%s is ragged: its rows have different shapes"
                                % what)
    flat = []
    for _, f in subs:
        flat.extend(f)
    return (len(items),) + inner, flat


def _not_none(obj, what):
    # numpy would turn None into NaN; refuse it as the missing argument it is.
    if obj is None:
        raise TypeError("%s must be numbers, not None" % what)


def floats_in(obj, what):
    """Float32 input data for a ``const float *`` parameter."""
    _not_none(obj, what)
    if np is not None:
        a = np.ascontiguousarray(obj, dtype=np.float32)
        ptr = a.ctypes.data_as(ctypes.POINTER(c_float)) if a.size else None
        return Input(ptr, a.shape, int(a.size), a)
    shape, flat = _shape_flat(obj, what)
    if isinstance(flat, array.array) and flat.typecode == "f":
        a = flat
    else:
        try:
            a = array.array("f", flat)
        except TypeError:
            raise TypeError("%s must contain only numbers" % what) from None
    n = len(a)
    ptr = (c_float * n).from_buffer(a) if n else None
    return Input(ptr, shape, n, a)


def ints_in(obj, what):
    """Integer input data (labels) for a ``const int *`` parameter.
    Floats are refused rather than truncated."""
    _not_none(obj, what)
    if np is not None:
        a = np.asarray(obj)
        if a.size and a.dtype.kind not in "iu":
            raise TypeError("%s must be integers, got dtype %s" % (what, a.dtype))
        if a.size and (a.min() < INT_MIN or a.max() > INT_MAX):
            raise errors.RangeError("%s: a value does not fit a C int" % what)
        a = np.ascontiguousarray(a, dtype=np.intc)
        ptr = a.ctypes.data_as(ctypes.POINTER(c_int)) if a.size else None
        return Input(ptr, a.shape, int(a.size), a)
    shape, flat = _shape_flat(obj, what)
    values = []
    for v in flat:
        try:
            values.append(operator.index(v))
        except TypeError:
            raise TypeError("%s must be integers, got %r" % (what, v)) from None
    try:
        a = array.array("i", values)
    except OverflowError:
        raise errors.RangeError("%s: a value does not fit a C int" % what) from None
    n = len(a)
    ptr = (c_int * n).from_buffer(a) if n else None
    return Input(ptr, shape, n, a)


# ---- output arrays ------------------------------------------------------

_TYPES = {"f": (c_float, "float32"), "i": (c_int, "intc"), "d": (c_double, "float64")}


def new_out(code, shape):
    """A new result array of C type code 'f', 'i' or 'd' and its pointer.

    numpy: an ndarray of ``shape``; otherwise a flat array.array.  An
    empty result still gets a valid pointer (to scratch memory), since the
    API refuses NULL buffers even for zero counts.
    """
    ctype, dtype = _TYPES[code]
    n = 1
    for d in shape:
        n *= d
    if np is not None:
        a = np.empty(shape, dtype=getattr(np, dtype))
    else:
        a = array.array(code, bytes(ctypes.sizeof(ctype) * n))
    if n == 0:
        return a, (ctype * 1)()
    if np is not None:
        return a, a.ctypes.data_as(ctypes.POINTER(ctype))
    return a, (ctype * n).from_buffer(a)


def floats_out(out, shape):
    """Where a float32 result goes, and its pointer: a new array of
    ``shape`` when ``out`` is None, else ``out`` itself, which must be a
    writable float32 buffer of as many elements (see writable_floats)."""
    if out is None:
        return new_out("f", shape)
    n = 1
    for d in shape:
        n *= d
    buf, _ = writable_floats(out, n, "out")
    return out, buf


def writable_floats(buf, count, what):
    """The pointer to a caller's float32 buffer written in place.

    ``buf`` must be a writable C-contiguous float32 buffer (a numpy
    float32 array, an array.array('f')) of ``count`` elements, or of any
    size when ``count`` is None.  Returns (pointer, number of elements).
    """
    try:
        mv = memoryview(buf)
    except TypeError:
        raise TypeError("%s must be a writable float32 buffer (a numpy float32 "
                        "array or array.array('f')), not %s"
                        % (what, type(buf).__name__)) from None
    with mv:
        if mv.format not in ("f", "<f", "=f") or mv.itemsize != 4:
            raise TypeError("%s must hold float32 values (format 'f'), not "
                            "format %r" % (what, mv.format))
        if mv.readonly:
            raise TypeError("%s is read-only" % what)
        if not mv.c_contiguous:
            raise TypeError("%s must be C-contiguous" % what)
        n = mv.nbytes // 4
    if count is not None and n != count:
        raise errors.ShapeError("%s holds %d floats, %d are needed"
                                % (what, n, count))
    if n == 0:
        return (c_float * 1)(), 0
    return (c_float * n).from_buffer(buf), n
