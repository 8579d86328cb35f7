"""Network descriptions: Model (owned) and ModelView (a learner's copy)."""

import ctypes
from ctypes import byref, c_size_t

from . import _arrays, _lib, errors
from ._handle import Handle, last_error_property, using

L = _lib.lib

# enum ml_layer_kind
LAYER_KINDS = {"dense": 1, "relu": 2, "tanh": 3, "sigmoid": 4, "conv2d": 5,
               "maxpool": 6, "batchnorm": 7, "flatten": 8}
_LAYER_NAMES = {v: k for k, v in LAYER_KINDS.items()}
ACTIVATIONS = ("relu", "tanh", "sigmoid")


def _activation(kind):
    """An activation name ('relu', 'tanh', 'sigmoid') or an ml_layer_kind
    value (checked by the library) as an int."""
    if isinstance(kind, str):
        if kind.lower() not in ACTIVATIONS:
            raise errors.InvalidArgument(
                "unknown activation %r; expected one of %s"
                % (kind, ", ".join(ACTIVATIONS)))
        return LAYER_KINDS[kind.lower()]
    return _arrays.int_arg(kind, "activation")


class _ModelInfo:
    """The read-only queries shared by Model and ModelView.  Subclasses
    provide _model() -> (context manager, function giving the pointer)."""

    def _query(self, fn, *args):
        ctx, get = self._model()
        with ctx:
            return fn(get(), *args)

    @property
    def num_layers(self):
        """Number of layers (dense and activation)."""
        return self._query(L.ml_model_num_layers)

    def __len__(self):
        return self.num_layers

    def layer_kind(self, i):
        """The kind of layer ``i``: 'dense', 'relu', 'tanh', 'sigmoid',
        'conv2d', 'maxpool', 'batchnorm' or 'flatten'."""
        i = _arrays.size_arg(i, "layer index")
        kind = self._query(L.ml_model_layer_kind, i)
        if kind == 0:
            raise errors.RangeError("layer %d of a model of %d layers"
                                    % (i, self.num_layers))
        return _LAYER_NAMES.get(kind, kind)

    @property
    def layers(self):
        """The kinds of all layers, in order."""
        return [self.layer_kind(i) for i in range(self.num_layers)]

    @property
    def input_size(self):
        """Inputs per example (the product of the input shape)."""
        return self._query(L.ml_model_input_size)

    @property
    def output_size(self):
        """Outputs per example of the last layer (0 without layers)."""
        return self._query(L.ml_model_output_size)

    @property
    def num_params(self):
        """Number of trainable parameters (weights and biases)."""
        return self._query(L.ml_model_num_params)

    def describe(self):
        """A one-line description, e.g. 'in 1 | dense 40 | relu | dense 1'."""
        ctx, get = self._model()
        with ctx:
            ptr = get()
            n = c_size_t()
            L.ml_model_describe(ptr, None, 0, byref(n))
            buf = ctypes.create_string_buffer(n.value + 1)
            L.ml_model_describe(ptr, buf, len(buf), byref(n))
        return buf.value.decode("utf-8", "replace")

    def __str__(self):
        return self.describe()


class Model(Handle, _ModelInfo):
    """A network description, e.g.::

        m = Model(1).add_dense(40).add_activation('relu').add_dense(1)
        m = Model.mlp(1, [40, 40, 1], activation='relu')
        m = Model((1, 28, 28)).add_conv2d(32, 3, padding=1).add_maxpool(2)
        m = Model.conv4(1, 28, 28, filters=64, blocks=4)

    A model only describes a network: a Learner copies it when created,
    so the model may be closed or changed afterwards without effect on the
    learner.
    """

    _free_name = "ml_model_free"
    last_error = last_error_property("ml_model_last_error")

    def __init__(self, input_shape):
        """An empty model for inputs of ``input_shape``: an int (features)
        or a tuple of 1 to 3 sizes (channels, height, width)."""
        if isinstance(input_shape, (list, tuple)):
            shape = [_arrays.size_arg(s, "input shape") for s in input_shape]
        else:
            shape = [_arrays.size_arg(input_shape, "input shape")]
        arr = (c_size_t * max(len(shape), 1))(*shape)
        out = _lib.MODEL()
        L.ml_model_create(byref(out), len(shape), arr)
        self._adopt(out)

    @classmethod
    def mlp(cls, n_in, sizes, activation="relu"):
        """Dense layers of the given output ``sizes`` for ``n_in`` inputs,
        with ``activation`` after every layer but the last (the MAML sine
        network is ``Model.mlp(1, [40, 40, 1])``)."""
        n_in = _arrays.size_arg(n_in, "n_in")
        sizes = [_arrays.size_arg(s, "layer size") for s in sizes]
        arr = (c_size_t * max(len(sizes), 1))(*sizes)
        out = _lib.MODEL()
        L.ml_model_create_mlp(byref(out), n_in, len(sizes), arr,
                              _activation(activation))
        self = cls.__new__(cls)
        self._adopt(out)
        return self

    @classmethod
    def conv4(cls, channels, height, width, filters=64, blocks=4, n_out=0):
        """The Conv-4 backbone of the few-shot literature: ``blocks`` blocks
        of [3x3 convolution of ``filters`` filters, batch normalisation,
        ReLU, 2x2 max-pooling] on (channels, height, width) inputs, a
        flatten, and with ``n_out`` > 0 a final dense layer (for the
        gradient-based strategies: the number of ways)."""
        return cls._conv_backbone(L.ml_model_create_conv4, (
            (channels, "channels"), (height, "height"), (width, "width"),
            (filters, "filters"), (blocks, "blocks"), (n_out, "n_out")))

    @classmethod
    def conv4_maps(cls, channels, height, width, filters=64, blocks=4, pooled=2):
        """A Conv-4 backbone that ends with feature maps (no flatten, no
        dense layer), for the relation network: ``blocks`` blocks of [3x3
        convolution of ``filters`` filters, batch normalisation, ReLU], the
        first ``pooled`` of them followed by 2x2 max-pooling.  The defaults
        on (1, 28, 28) give the paper's 64 maps of 7x7."""
        return cls._conv_backbone(L.ml_model_create_conv4_maps, (
            (channels, "channels"), (height, "height"), (width, "width"),
            (filters, "filters"), (blocks, "blocks"), (pooled, "pooled")))

    @classmethod
    def _conv_backbone(cls, create, named_sizes):
        args = [_arrays.size_arg(v, name) for v, name in named_sizes]
        out = _lib.MODEL()
        create(byref(out), *args)
        self = cls.__new__(cls)
        self._adopt(out)
        return self

    def _model(self):
        return using(self), self._handle

    def _add(self, fn, *args):
        with using(self):
            fn(self._handle(), *args)
        return self

    def add_conv2d(self, filters, kernel, stride=1, padding=0):
        """Appends a 2-D convolution of ``filters`` output channels with a
        square ``kernel``, ``stride`` and zero ``padding`` (the input must
        be (channels, height, width)); returns the model."""
        return self._add(L.ml_model_add_conv2d,
                         _arrays.size_arg(filters, "filters"),
                         _arrays.size_arg(kernel, "kernel"),
                         _arrays.size_arg(stride, "stride"),
                         _arrays.size_arg(padding, "padding"))

    def add_maxpool(self, size):
        """Appends max-pooling over ``size`` x ``size`` windows (stride
        ``size``); returns the model."""
        return self._add(L.ml_model_add_maxpool, _arrays.size_arg(size, "size"))

    def add_batchnorm(self):
        """Appends batch normalisation (per channel or per feature, with
        the current batch's statistics); returns the model."""
        return self._add(L.ml_model_add_batchnorm)

    def add_flatten(self):
        """Appends a flatten of (channels, height, width) to one vector;
        returns the model."""
        return self._add(L.ml_model_add_flatten)

    def add_dense(self, units):
        """Appends a fully connected layer of ``units`` outputs; returns
        the model, so calls chain."""
        return self._add(L.ml_model_add_dense, _arrays.size_arg(units, "units"))

    def add_activation(self, kind):
        """Appends an activation: 'relu', 'tanh' or 'sigmoid'; returns the
        model."""
        return self._add(L.ml_model_add_activation, _activation(kind))

    def __repr__(self):
        if self.closed:
            return "<metalearn.Model (closed)>"
        return "<metalearn.Model %s>" % self.describe()


class ModelView(_ModelInfo):
    """The model inside a learner (Learner.model): read-only, valid while
    the learner is open; it keeps the learner alive."""

    def __init__(self, learner):
        self._learner = learner

    def _model(self):
        learner = self._learner
        return using(learner), lambda: L.ml_learner_model(learner._handle())

    @property
    def closed(self):
        """True once the learner is closed."""
        return self._learner.closed

    def __repr__(self):
        if self.closed:
            return "<metalearn.ModelView of a closed learner>"
        return "<metalearn.ModelView %s>" % self.describe()
