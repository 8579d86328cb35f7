"""Task samplers."""

from ctypes import byref, c_double

from . import _arrays, _lib
from ._handle import Handle, last_error_property, using
from .dataset import Dataset
from .task import Task

L = _lib.lib

# enum ml_sampler_param
PARAMS = {
    "shots": 1, "queries": 2, "ways": 3, "rotations": 4, "shift": 5,
    "amp_min": 100, "amp_max": 101,
    "phase_min": 102, "phase_max": 103,
    "x_min": 104, "x_max": 105,
}
_COUNTS = ("shots", "queries", "ways")
_RANGES = {"amplitude": ("amp_min", "amp_max"),
           "phase": ("phase_min", "phase_max"),
           "x_range": ("x_min", "x_max")}


def _key(key):
    return _arrays.named_arg(key, PARAMS, "sampler parameter")


class Sampler(Handle):
    """A source of tasks.  Sampler.sine() makes the MAML paper's sine-wave
    regression tasks, Sampler.episodes() N-way K-shot classification
    episodes from a Dataset; ``sample()`` draws one.

    Parameters are read and written as properties (``shots``, ``queries``,
    ``ways``, ``rotations``, ``shift``, and for sine waves the (min, max) pairs
    ``amplitude``, ``phase`` and ``x_range``) or with get()/set() by name
    ('shots', 'amp_min', ...).
    The library checks every value.
    """

    _free_name = "ml_sampler_free"
    last_error = last_error_property("ml_sampler_last_error")

    def __init__(self, *args, **kwargs):
        raise TypeError("use Sampler.sine() or Sampler.episodes() to make "
                        "a Sampler")

    @classmethod
    def sine(cls, seed, shots=None, queries=None, amplitude=None, phase=None,
             x_range=None):
        """Sine waves y = A sin(x - phase).  Parameters left at None keep
        the library's defaults (10 shots, 10 queries, A in [0.1, 5], phase
        in [0, pi], x in [-5, 5])."""
        out = _lib.SAMPLER()
        L.ml_sampler_create_sine(byref(out), _arrays.seed_arg(seed))
        self = cls.__new__(cls)
        self._adopt(out)
        try:
            if shots is not None:
                self.shots = shots
            if queries is not None:
                self.queries = queries
            if amplitude is not None:
                self.amplitude = amplitude
            if phase is not None:
                self.phase = phase
            if x_range is not None:
                self.x_range = x_range
        except BaseException:
            self.close()
            raise
        return self

    @classmethod
    def episodes(cls, dataset, seed, ways=None, shots=None, queries=None,
                 rotations=None, shift=None):
        """N-way K-shot classification episodes drawn from a Dataset:
        ``ways`` classes, ``shots`` support and ``queries`` query examples
        per class; ``rotations=True`` adds each class rotated by 90, 180
        and 270 degrees as new classes; ``shift=S`` moves every example by
        a random whole number of pixels, up to S each way (augmentation).
        Parameters left at None keep the library's defaults (5 ways, 1
        shot, 15 queries, no rotations, no shift).
        The sampler shares the data set's data: the Dataset may be closed
        afterwards."""
        if not isinstance(dataset, Dataset):
            raise TypeError("dataset must be a metalearn.Dataset, not %s"
                            % type(dataset).__name__)
        seed = _arrays.seed_arg(seed)
        out = _lib.SAMPLER()
        with using(dataset):
            L.ml_sampler_create_episodes(byref(out), dataset._handle(), seed)
        self = cls.__new__(cls)
        self._adopt(out)
        try:
            for name, value in (("ways", ways), ("shots", shots),
                                ("queries", queries)):
                if value is not None:
                    self.set(name, value)
            if rotations is not None:
                self.rotations = rotations
            if shift is not None:
                self.shift = shift
        except BaseException:
            self.close()
            raise
        return self

    def get(self, key):
        """A parameter's value (a float) by name or ml_sampler_param value."""
        k = _key(key)
        v = c_double()
        with using(self):
            L.ml_sampler_get(self._handle(), k, byref(v))
        return v.value

    def set(self, key, value):
        """Sets a parameter by name or ml_sampler_param value."""
        k = _key(key)
        value = _arrays.float_arg(value, "value")
        with using(self):
            L.ml_sampler_set(self._handle(), k, value)

    def _range(self, name):
        lo, hi = _RANGES[name]
        return (self.get(lo), self.get(hi))

    def _set_range(self, name, value):
        lo_key, hi_key = _RANGES[name]
        try:
            lo, hi = value
        except (TypeError, ValueError):
            raise TypeError("%s must be a (min, max) pair" % name) from None
        lo = _arrays.float_arg(lo, name)
        hi = _arrays.float_arg(hi, name)
        with using(self):
            old = (self.get(lo_key), self.get(hi_key))
            try:
                self._set_pair(lo_key, hi_key, lo, hi)
            except BaseException:
                self._set_pair(lo_key, hi_key, *old)  # leave it as it was
                raise

    def _set_pair(self, lo_key, hi_key, lo, hi):
        # The library refuses a minimum above the current maximum (and the
        # reverse), so the bound that cannot collide goes first.
        if lo > self.get(hi_key):
            self.set(hi_key, hi)
            self.set(lo_key, lo)
        else:
            self.set(lo_key, lo)
            self.set(hi_key, hi)

    shots = property(lambda self: int(self.get("shots")),
                     lambda self, v: self.set("shots", v),
                     doc="Support examples per task (per class for classification).")
    queries = property(lambda self: int(self.get("queries")),
                       lambda self, v: self.set("queries", v),
                       doc="Query examples per task (per class for classification).")
    ways = property(lambda self: int(self.get("ways")),
                    lambda self, v: self.set("ways", v),
                    doc="Classes per episode (classification samplers).")
    rotations = property(lambda self: bool(self.get("rotations")),
                         lambda self, v: self.set("rotations", 1 if v else 0),
                         doc="Episodes: also use each class rotated by 90, "
                             "180 and 270 degrees as new classes.")
    shift = property(lambda self: int(self.get("shift")),
                     lambda self, v: self.set("shift", v),
                     doc="Episodes: move each example by a random whole "
                         "number of pixels, up to this many each way (square "
                         "images; 0, the default, for none).")
    amplitude = property(lambda self: self._range("amplitude"),
                         lambda self, v: self._set_range("amplitude", v),
                         doc="Sine: (min, max) amplitude.")
    phase = property(lambda self: self._range("phase"),
                     lambda self, v: self._set_range("phase", v),
                     doc="Sine: (min, max) phase.")
    x_range = property(lambda self: self._range("x_range"),
                       lambda self, v: self._set_range("x_range", v),
                       doc="Sine: (min, max) of the inputs.")

    def reseed(self, seed):
        """Restarts the random stream from ``seed``."""
        seed = _arrays.seed_arg(seed)
        with using(self):
            L.ml_sampler_reseed(self._handle(), seed)

    def sample(self):
        """Draws a new Task."""
        out = _lib.TASK()
        with using(self):
            L.ml_sampler_sample(self._handle(), byref(out))
        return Task._wrap(out)

    def sample_batch(self, n):
        """Draws ``n`` tasks (a meta-batch) as a list."""
        return [self.sample() for _ in range(_arrays.size_arg(n, "n"))]
