"""autograd.detect_anomaly: NaN/Inf from a forward or backward names the op, phase and line."""

import numpy
import pytest

import autocompyute as ac
from autocompyute.autograd import detect_anomaly, is_anomaly_enabled

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_forward_nan_names_the_op_and_the_users_line():
    x = ac.tensor([-1.0, 1.0], req_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError) as error:
        y = x.sqrt()  # the bad line
        del y
    message = str(error.value)
    assert message.startswith("detect_anomaly: Sqrt forward produced NaN or Inf in its output")
    assert "test_anomaly.py" in message and "y = x.sqrt()  # the bad line" in message


def test_backward_inf_names_the_op_the_phase_and_where_it_was_created():
    x = ac.tensor([0.0, 1.0], req_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # finite forward, infinite derivative at 0
        with pytest.raises(FloatingPointError) as error:
            y.sum().backward()
    message = str(error.value)
    assert "Sqrt backward produced NaN or Inf in the gradient for input 0" in message
    assert "y = x.sqrt()  # finite forward" in message


def test_outside_anomaly_mode_nothing_is_checked_and_the_flag_is_restored():
    x = ac.tensor([-1.0], req_grad=True)
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
        with detect_anomaly(check_nan=False):
            x.sqrt()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()
    assert numpy.isnan(x.sqrt().data[0])  # unchecked outside anomaly mode


def test_decorator_form_and_integer_results_pass():
    @detect_anomaly()
    def f(t):
        return (t * 2).sum()

    assert float(f(ac.ones(3)).data) == 6.0
    with detect_anomaly():
        assert (ac.arange(3) + 1).data.tolist() == [1, 2, 3]


def test_anomaly_mode_works_while_profiling():
    with (
        ac.profiler.profile() as prof,
        detect_anomaly(),
        pytest.raises(FloatingPointError, match="Log forward"),
    ):
        ac.tensor([0.0]).log()
    assert [e.name for e in prof.events()] == ["Log"]


def test_the_error_is_a_runtime_error_as_in_pytorch():
    with detect_anomaly(), pytest.raises(ac.autograd.AnomalyError) as error:
        ac.tensor([-1.0]).log()
    assert isinstance(error.value, RuntimeError) and isinstance(error.value, FloatingPointError)
