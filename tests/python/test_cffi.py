"""The header through cffi (ABI mode): `cc -E -P` of metalearn.h with the
standard headers stubbed out, fed to cdef(), the library dlopen()ed, and a
small learner trained through it -- a second binding, independent of the
ctypes table."""
import math
import os
import shlex
import subprocess

import pytest

from conftest import include_dir, library_path


def preprocessed_header(tmp_path):
    inc = include_dir()
    compiler = shlex.split(os.environ.get("METALEARN_CC", "cc"))
    fake = tmp_path / "fake-std"
    fake.mkdir()
    for h in ("stddef.h", "stdint.h", "stdbool.h"):
        (fake / h).write_text("")  # cffi knows size_t, uint64_t, ...
    cmd = compiler + ["-E", "-P", "-nostdinc", "-I", str(fake), "-I", inc,
                      "-x", "c", os.path.join(inc, "metalearn.h")]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        pytest.skip("no C compiler to preprocess the header: %s" % e)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_train_through_cffi(tmp_path):
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    ffi.cdef(preprocessed_header(tmp_path))
    lib = ffi.dlopen(os.path.abspath(library_path()))

    def check(status):
        assert status == lib.ML_OK, ffi.string(lib.ml_last_error()).decode()

    model = ffi.new("ml_model **")
    sizes = ffi.new("size_t[]", [20, 20, 1])
    check(lib.ml_model_create_mlp(model, 1, 3, sizes, lib.ML_LAYER_RELU))
    learner = ffi.new("ml_learner **")
    check(lib.ml_learner_create(learner, model[0], lib.ML_STRATEGY_MAML, 7))
    lib.ml_model_free(model[0])
    sampler = ffi.new("ml_sampler **")
    check(lib.ml_sampler_create_sine(sampler, 8))
    try:
        n = lib.ml_learner_num_meta_params(learner[0])
        assert n == 20 + 20 + 400 + 20 + 20 + 1
        before = ffi.new("float[]", n)
        check(lib.ml_learner_get_meta_params(learner[0], before, n))

        batch = ffi.new("ml_task *[]", 4)
        loss = ffi.new("double *")
        losses = []
        for _ in range(20):
            for i in range(4):
                check(lib.ml_sampler_sample(sampler[0], ffi.addressof(batch, i)))
            check(lib.ml_learner_meta_step(learner[0], 4, batch, loss))
            for i in range(4):
                lib.ml_task_free(batch[i])
            losses.append(loss[0])
        assert all(math.isfinite(v) for v in losses)

        after = ffi.new("float[]", n)
        check(lib.ml_learner_get_meta_params(learner[0], after, n))
        assert list(after) != list(before)
        it = ffi.new("double *")
        check(lib.ml_learner_get(learner[0], lib.ML_LEARNER_ITERATION, it))
        assert it[0] == 20

        # An error through cffi: the status and the message.
        assert lib.ml_learner_set(learner[0], lib.ML_LEARNER_THREADS, 0) \
            == lib.ML_ERR_INVALID_ARG
        assert b"threads" in ffi.string(lib.ml_learner_last_error(learner[0]))
    finally:
        lib.ml_sampler_free(sampler[0])
        lib.ml_learner_free(learner[0])
