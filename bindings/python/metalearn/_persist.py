"""Saving and loading, for the handles the library serialises.

The C functions come in one pattern per object: <prefix>_save(obj, path),
<prefix>_save_buffer(obj, buf, cap, &size) (NULL and 0 ask the size),
<prefix>_load(&out, path) and <prefix>_load_buffer(&out, buf, size); one
mixin wraps them for Learner and Optimizer.
"""

import ctypes
from ctypes import byref, c_size_t

from . import _arrays, _lib
from ._handle import Handle, using


class Persistent(Handle):
    """save / load / to_bytes / from_bytes through the C functions
    ``<_c_prefix>_save`` and the rest; ``_c_pointer`` is the handle's
    pointer type (what the load functions fill)."""

    _c_prefix = None   # e.g. "ml_learner"
    _c_pointer = None  # e.g. _lib.LEARNER

    @classmethod
    def _c(cls, suffix):
        return getattr(_lib.lib, cls._c_prefix + suffix)

    def save(self, path):
        """Saves to ``path`` in the library's file format, atomically
        (a temporary file, then a rename)."""
        p = _arrays.path_arg(path)
        with using(self):
            self._c("_save")(self._handle(), p)

    @classmethod
    def load(cls, path):
        """An object saved by save().  Errors: FileError, FormatError (not
        a libmetalearn file, or one holding another kind of object),
        VersionError, CorruptError."""
        out = cls._c_pointer()
        cls._c("_load")(byref(out), _arrays.path_arg(path))
        return cls._wrap(out)

    def to_bytes(self):
        """The object serialised as bytes (the file format of save())."""
        size = c_size_t()
        save_buffer = self._c("_save_buffer")
        with using(self):
            ptr = self._handle()
            save_buffer(ptr, None, 0, byref(size))
            buf = ctypes.create_string_buffer(size.value)
            save_buffer(ptr, buf, size.value, byref(size))
        return buf.raw

    @classmethod
    def from_bytes(cls, data):
        """An object from bytes made by to_bytes() (or a saved file's);
        any bytes-like object."""
        if not isinstance(data, bytes):
            data = bytes(memoryview(data))
        out = cls._c_pointer()
        cls._c("_load_buffer")(byref(out), data, len(data))
        return cls._wrap(out)
