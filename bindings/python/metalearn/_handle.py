"""The common life cycle of the wrapped C handles.

A Handle owns one C object.  It is freed exactly once: by close(), by the
``with`` statement, or by a weakref.finalize when the Python object is
garbage collected (or at interpreter exit).  Using a closed handle raises
ClosedError.

The C library allows distinct handles on distinct threads but not one
handle on two threads at once, and a handle must not be freed while a call
uses it.  Each Handle therefore has a re-entrant lock; every call holds the
locks of all the handles it passes to C (acquired in a fixed order, so two
calls never deadlock), and close() takes the lock too.
"""

import threading
import weakref

from . import _lib, errors


class Handle:
    """Base of Model, Task, Sampler, Optimizer and Learner."""

    _free_name = None  # name of the C function that frees the handle

    def _adopt(self, ptr):
        """Takes ownership of a freshly created non-NULL C pointer."""
        if not ptr:
            raise errors.InternalError("the library returned a NULL handle")
        self._ptr = ptr
        self._lock = threading.RLock()
        self._finalizer = weakref.finalize(
            self, getattr(_lib.lib, self._free_name), ptr)

    @classmethod
    def _wrap(cls, ptr):
        """A new object owning ``ptr``, made without __init__: for the
        constructors that are C functions filling in a pointer."""
        self = cls.__new__(cls)
        self._adopt(ptr)
        return self

    def _handle(self):
        """The C pointer; raises ClosedError after close()."""
        ptr = getattr(self, "_ptr", None)
        if ptr is None:
            raise errors.ClosedError(
                "this %s is closed" % type(self).__name__, errors.ERR_STATE)
        return ptr

    @property
    def closed(self):
        """True after close()."""
        return getattr(self, "_ptr", None) is None

    def close(self):
        """Frees the C object now.  Calling it again does nothing."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            if self._ptr is not None:
                self._ptr = None
                self._finalizer()

    def __enter__(self):
        self._handle()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __reduce__(self):
        # A copy would share the C pointer and use it after the other
        # copy's close().  Learner overrides this with a real copy.
        raise TypeError("cannot pickle or copy a metalearn.%s"
                        % type(self).__name__)

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return "<metalearn.%s (%s)>" % (type(self).__name__, state)


def last_error_property(c_function):
    """A ``last_error`` property: the handle's own message of its last
    failed call ("" if none), from the C function named ``c_function``."""

    def fget(self):
        with using(self):
            msg = getattr(_lib.lib, c_function)(self._handle())
        return msg.decode("utf-8", "replace") if msg else ""

    return property(fget, doc="The message of this object's last failed "
                              "call (%s); \"\" if none." % c_function)


class using:
    """``with using(h1, h2, ...):`` holds the locks of the given handles
    (each once, in a global order), so that none of them is used by another
    thread or closed during the block."""

    __slots__ = ("_locks",)

    def __init__(self, *handles):
        unique = {}
        for h in handles:
            h._handle()  # a closed handle fails before anything is locked
            unique[id(h)] = h
        self._locks = [unique[k]._lock for k in sorted(unique)]

    def __enter__(self):
        taken = []
        try:
            for lock in self._locks:
                lock.acquire()
                taken.append(lock)
        except BaseException:
            for lock in reversed(taken):
                lock.release()
            raise
        return self

    def __exit__(self, *exc):
        for lock in reversed(self._locks):
            lock.release()
        return False
