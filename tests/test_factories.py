"""Factories: tensor, filled, ranges, random, *_like; dtypes, devices, req_grad and bad input."""

import numpy
import pytest

import autocompyute as ac

ALL_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "bool"]
FLOAT_DTYPES = ["float16", "float32", "float64"]


# -------------------------------------------------------------------------------------- tensor


def test_tensor_defaults_float32_for_floats_int64_for_ints_bool_for_bools():
    assert ac.tensor([1.0, 2.0]).dtype == numpy.float32
    assert ac.tensor(2.5).dtype == numpy.float32
    assert ac.tensor([1, 2]).dtype == numpy.int64
    assert ac.tensor(3).shape == () and ac.tensor(3).dtype == numpy.int64
    assert ac.tensor([True, False]).dtype == numpy.bool_


def test_tensor_keeps_supported_numpy_dtypes_and_widens_unsigned_ones():
    for dtype in ALL_DTYPES:
        assert ac.tensor(numpy.zeros(2, dtype=dtype)).dtype == dtype
    assert ac.tensor(numpy.zeros(2, dtype=numpy.uint8)).dtype == numpy.int64


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tensor_with_dtype(dtype):
    t = ac.tensor([[0, 1], [2, 3]], dtype=dtype)
    assert t.dtype == dtype and t.shape == (2, 2)
    numpy.testing.assert_array_equal(t.data, numpy.array([[0, 1], [2, 3]]).astype(dtype))


def test_tensor_accepts_dtype_objects_and_python_types():
    assert ac.tensor([1], dtype=ac.float64).dtype == numpy.float64
    assert ac.tensor([1], dtype=numpy.int16).dtype == numpy.int16
    assert ac.tensor([1], dtype=float).dtype == numpy.float32
    assert ac.tensor([1], dtype=int).dtype == numpy.int64
    assert ac.tensor([1], dtype=bool).dtype == numpy.bool_


def test_tensor_with_device_and_req_grad():
    t = ac.tensor([1.0, 2.0], device="cpu", req_grad=True)
    assert t.device == "cpu" and t.req_grad and t.is_leaf
    assert not ac.tensor([1.0]).req_grad


def test_tensor_from_a_tensor_takes_its_values_not_its_graph():
    source = ac.tensor([1.0, 2.0], req_grad=True)
    copy = ac.tensor(source)
    numpy.testing.assert_array_equal(copy.data, source.data)
    assert not copy.req_grad and copy.ctx is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("abc", "cannot make a tensor from strings or bytes"),
        ([1 + 2j], "unsupported dtype complex128"),
        (numpy.zeros(2, dtype=numpy.complex64), "unsupported dtype complex64"),
        ({"a": 1}, "cannot make a tensor from dict"),
        (None, "cannot make a tensor from NoneType"),
    ],
)
def test_tensor_from_unsupported_data_raises_type_error(data, message):
    with pytest.raises(TypeError, match=message):
        ac.tensor(data)


def test_tensor_from_ragged_lists_raises_value_error():
    with pytest.raises(ValueError, match="ragged: expected sequences of length"):
        ac.tensor([[1, 2], [3]])


# ---------------------------------------------------------------------------------- filled


def full_of_sevens(*shape, **kwargs):
    return ac.full(*shape, value=7, **kwargs)


@pytest.mark.parametrize(("factory", "value"), [(ac.ones, 1), (ac.zeros, 0), (full_of_sevens, 7)])
def test_filled_factories_shapes_values_and_float32_default(factory, value):
    for shape_args in [(2, 3), ((2, 3),), ([2, 3],), (numpy.int64(2), 3)]:
        t = factory(*shape_args)
        assert t.shape == (2, 3) and t.dtype == numpy.float32
        numpy.testing.assert_array_equal(t.data, numpy.full((2, 3), value))
    assert factory().shape == ()
    assert factory(0, 4).shape == (0, 4)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_filled_factories_with_dtype(dtype):
    for factory in (ac.ones, ac.zeros):
        assert factory(3, dtype=dtype).dtype == dtype
    full = ac.full(3, value=1, dtype=dtype)
    assert full.dtype == dtype and full.data.tolist() == [1, 1, 1]


def test_filled_factories_with_device_and_req_grad():
    t = ac.zeros(2, device="cpu", req_grad=True)
    assert t.req_grad and t.device == "cpu"
    (t * 3).sum().backward()
    numpy.testing.assert_array_equal(t.grad, [3.0, 3.0])
    assert ac.full(2, value=0.5, req_grad=True).req_grad


@pytest.mark.parametrize("shape", [(2.5,), (-1,), (2, -3), ("2",), (True,), ((2, 2.0),)])
def test_bad_shape_raises_value_error_naming_the_factory(shape):
    with pytest.raises(ValueError, match=r"ones: invalid shape"):
        ac.ones(*shape)
    with pytest.raises(ValueError, match=r"randn: invalid shape"):
        ac.randn(*shape)


@pytest.mark.parametrize("dtype", ["complex64", "float128", "floaty", numpy.uint8, object, 3])
def test_bad_dtype_raises_type_error_naming_the_factory(dtype):
    with pytest.raises(TypeError, match=r"zeros: unsupported dtype"):
        ac.zeros(2, dtype=dtype)
    with pytest.raises(TypeError, match=r"unsupported dtype"):
        ac.tensor([1], dtype=dtype)


def test_int_and_bool_factories_refuse_req_grad():
    with pytest.raises(TypeError, match="only floating point tensors"):
        ac.ones(2, dtype="int32", req_grad=True)
    with pytest.raises(TypeError, match="only floating point tensors"):
        ac.zeros(2, dtype="bool", req_grad=True)


# ---------------------------------------------------------------------------------- arange


def test_arange_forms_and_default_dtypes():
    numpy.testing.assert_array_equal(ac.arange(4).data, [0, 1, 2, 3])
    assert ac.arange(4).dtype == numpy.int64
    numpy.testing.assert_array_equal(ac.arange(2, 5).data, [2, 3, 4])
    numpy.testing.assert_array_equal(ac.arange(5, 0, -2).data, [5, 3, 1])
    floats = ac.arange(0, 1, 0.25)
    assert floats.dtype == numpy.float32
    numpy.testing.assert_array_equal(floats.data, [0.0, 0.25, 0.5, 0.75])
    assert ac.arange(3.0).dtype == numpy.float32


def test_arange_with_dtype_device_and_req_grad():
    t = ac.arange(3, dtype="float64", device="cpu", req_grad=True)
    assert t.dtype == numpy.float64 and t.req_grad
    assert ac.arange(3, dtype="int8").dtype == numpy.int8


def test_arange_bad_arguments():
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        ac.arange(0, 5, 0)
    with pytest.raises(TypeError, match="arange: unsupported dtype"):
        ac.arange(3, dtype="complex64")


# ---------------------------------------------------------------------------------- random


def test_randn_mean_and_variance_statistically():
    sample = ac.randn(1_000_000, mean=2.0, var=9.0, dtype="float64").data
    # Standard errors: 3 / sqrt(n) = 0.003 for the mean, 9 * sqrt(2 / n) = 0.0127 for the
    # variance; allow five of them.
    assert abs(sample.mean() - 2.0) < 0.015
    assert abs(sample.var() - 9.0) < 0.064


def test_randn_standard_defaults():
    sample = ac.randn(1000, 100)
    assert sample.shape == (1000, 100) and sample.dtype == numpy.float32
    assert abs(float(sample.data.mean())) < 0.015
    assert abs(float(sample.data.var()) - 1.0) < 0.015


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_randn_dtypes(dtype):
    t = ac.randn(4, 5, dtype=dtype, req_grad=True)
    assert t.dtype == dtype and t.shape == (4, 5) and t.req_grad


def test_randn_bad_arguments():
    with pytest.raises(TypeError, match="randn: dtype must be a float dtype, got int32"):
        ac.randn(2, dtype="int32")
    with pytest.raises(ValueError, match="randn: var must be non-negative"):
        ac.randn(2, var=-1.0)


def test_randn_zero_variance_gives_the_mean():
    numpy.testing.assert_array_equal(ac.randn(3, mean=1.5, var=0.0).data, [1.5, 1.5, 1.5])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_randu_stays_in_half_open_bounds(dtype):
    # float16 rounding puts ~1e-4 of naive samples exactly on `high`; none may be.
    sample = ac.randu(200_000, low=-1.0, high=1.0, dtype=dtype).data
    assert sample.dtype == dtype
    assert sample.min() >= -1.0 and sample.max() < 1.0
    assert abs(float(sample.astype(numpy.float64).mean())) < 0.01


def test_randu_custom_bounds_mean_and_defaults():
    sample = ac.randu(100_000, low=2.0, high=5.0).data
    assert sample.dtype == numpy.float32
    assert sample.min() >= 2.0 and sample.max() < 5.0
    assert abs(float(sample.mean()) - 3.5) < 0.02
    default = ac.randu(1000).data
    assert default.min() >= -1.0 and default.max() < 1.0


def test_randu_equal_bounds_and_bad_arguments():
    numpy.testing.assert_array_equal(ac.randu(2, low=3.0, high=3.0).data, [3.0, 3.0])
    with pytest.raises(ValueError, match="randu: low must not exceed high"):
        ac.randu(2, low=2.0, high=1.0)
    with pytest.raises(TypeError, match="randu: dtype must be a float dtype"):
        ac.randu(2, dtype="int64")
    assert ac.randu(2, req_grad=True).req_grad


def test_randi_bounds_and_int64_default():
    sample = ac.randi(10_000, low=-3, high=4)
    assert sample.dtype == numpy.int64
    assert set(numpy.unique(sample.data).tolist()) == set(range(-3, 4))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "float32"])
def test_randi_dtypes(dtype):
    sample = ac.randi(3, 100, low=0, high=100, dtype=dtype)
    assert sample.dtype == dtype and sample.shape == (3, 100)
    assert sample.data.min() >= 0 and sample.data.max() < 100


def test_randi_bool_and_bad_bounds():
    assert set(ac.randi(1000, low=0, high=2, dtype="bool").data.tolist()) == {False, True}
    with pytest.raises(ValueError, match="randi: low must be less than high"):
        ac.randi(2, low=5, high=5)
    with pytest.raises(ValueError, match=r"randi: \[0, 1000\) does not fit dtype int8"):
        ac.randi(2, low=0, high=1000, dtype="int8")


def test_randperm_is_a_permutation():
    perm = ac.randperm(50)
    assert perm.dtype == numpy.int64
    assert sorted(perm.data.tolist()) == list(range(50))
    assert perm.data.tolist() != list(range(50))
    assert ac.randperm(0).shape == (0,)
    assert ac.randperm(5, dtype="int32").dtype == numpy.int32


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_randperm_bad_n(n):
    with pytest.raises(ValueError, match="randperm: n must be a non-negative int"):
        ac.randperm(n)


def test_set_random_seed_reproduces_every_random_factory():
    def draw():
        return [
            ac.randn(5).data,
            ac.randu(5).data,
            ac.randi(5, low=0, high=100).data,
            ac.randperm(10).data,
            ac.randn_like(ac.ones(3)).data,
        ]

    ac.set_random_seed(123)
    first = draw()
    ac.set_random_seed(123)
    second = draw()
    ac.set_random_seed(124)
    third = draw()
    for a, b in zip(first, second):
        numpy.testing.assert_array_equal(a, b)
    assert not numpy.array_equal(first[0], third[0])


def test_consecutive_draws_differ():
    assert not numpy.array_equal(ac.randn(5).data, ac.randn(5).data)


# ---------------------------------------------------------------------------------- *_like


def test_like_factories_copy_shape_dtype_and_device():
    x = ac.randn(2, 3, dtype="float64")
    for made in [
        ac.zeros_like(x),
        ac.ones_like(x),
        ac.full_like(x, 4.0),
        ac.randn_like(x),
        ac.randu_like(x),
    ]:
        assert made.shape == (2, 3) and made.dtype == numpy.float64 and made.device == x.device
        assert not made.req_grad
    numpy.testing.assert_array_equal(ac.zeros_like(x).data, numpy.zeros((2, 3)))
    numpy.testing.assert_array_equal(ac.ones_like(x).data, numpy.ones((2, 3)))
    numpy.testing.assert_array_equal(ac.full_like(x, 4.0).data, numpy.full((2, 3), 4.0))


def test_like_factories_with_dtype_device_and_req_grad():
    x = ac.ones(2, 2, dtype="int32")
    assert ac.zeros_like(x).dtype == numpy.int32
    assert ac.zeros_like(x, dtype="float16").dtype == numpy.float16
    assert ac.ones_like(x, dtype="float32", device="cpu", req_grad=True).req_grad
    assert ac.full_like(x, 2, dtype="int8").dtype == numpy.int8
    assert ac.randn_like(x, dtype="float64", req_grad=True).req_grad
    low_high = ac.randu_like(x, low=1.0, high=2.0, dtype="float32").data
    assert low_high.min() >= 1.0 and low_high.max() < 2.0
    with pytest.raises(TypeError, match="only floating point tensors"):
        ac.zeros_like(x, req_grad=True)


def test_randn_like_statistics():
    sample = ac.randn_like(ac.zeros(200_000, dtype="float64"), mean=-1.0, var=0.25).data
    assert abs(sample.mean() + 1.0) < 0.01
    assert abs(sample.var() - 0.25) < 0.01


def test_randi_like_takes_int_shape_and_defaults_to_int64_for_float_inputs():
    from_float = ac.randi_like(ac.ones(4, 5), 0, 3)
    assert from_float.shape == (4, 5) and from_float.dtype == numpy.int64
    assert from_float.data.min() >= 0 and from_float.data.max() < 3
    assert ac.randi_like(ac.ones(3, dtype="int16"), 0, 3).dtype == numpy.int16
    assert ac.randi_like(ac.ones(3), 0, 3, dtype="int8").dtype == numpy.int8


def test_random_like_factories_of_integer_tensors_need_a_float_dtype():
    ints = ac.tensor([1, 2])
    with pytest.raises(TypeError, match="randn: dtype must be a float dtype"):
        ac.randn_like(ints)
    with pytest.raises(TypeError, match="randu: dtype must be a float dtype"):
        ac.randu_like(ints)


# ---------------------------------------------------------------------------------- dtypes


def test_dtype_constants_are_numpy_dtypes():
    for name in ALL_DTYPES:
        constant = getattr(ac, "bool_" if name == "bool" else name)
        assert constant == numpy.dtype(name)


def test_to_dtype_names_aliases_and_errors():
    from autocompyute.dtypes import to_dtype

    assert to_dtype("half") == numpy.float16 and to_dtype("double") == numpy.float64
    assert to_dtype("float") == numpy.float32 and to_dtype("long") == numpy.int64
    assert to_dtype(numpy.float32) == numpy.float32
    with pytest.raises(TypeError, match="unsupported dtype uint16; supported: float16"):
        to_dtype(numpy.uint16)
    with pytest.raises(TypeError, match="unsupported dtype None"):
        to_dtype(None)  # NumPy would silently read it as float64


# ---------------------------------------------------------------------------------- devices


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_random_factories_on_cuda(dtype):
    device = "cuda"
    normal = ac.randn(100_000, mean=1.0, var=4.0, dtype=dtype, device=device)
    assert normal.device == "cuda:0" and normal.dtype == dtype
    assert abs(float(normal.data.mean()) - 1.0) < 0.05
    uniform = ac.randu(100_000, dtype=dtype, device=device).data
    assert float(uniform.min()) >= -1.0 and float(uniform.max()) < 1.0
    ints = ac.randi(1000, low=0, high=5, device=device)
    assert ints.dtype == numpy.int64 and set(ints.as_numpy().tolist()) == set(range(5))
    perm = ac.randperm(20, device=device)
    assert sorted(perm.as_numpy().tolist()) == list(range(20))


@pytest.mark.cuda
def test_filled_and_like_factories_on_cuda():
    x = ac.ones(2, 3, device="cuda")
    assert x.device == "cuda:0"
    for made in [
        ac.zeros_like(x),
        ac.randn_like(x),
        ac.arange(3, device="cuda"),
        ac.tensor([1.0], device="cuda:0"),
        ac.full(2, value=3, device="cuda"),
    ]:
        assert made.device == "cuda:0"
    ac.set_random_seed(5)
    first = ac.randn(4, device="cuda").as_numpy()
    ac.set_random_seed(5)
    numpy.testing.assert_array_equal(ac.randn(4, device="cuda").as_numpy(), first)
