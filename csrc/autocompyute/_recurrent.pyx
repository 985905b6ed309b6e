"""Compiled time loops of the whole-sequence RNN, LSTM and GRU ops (NumPy arrays on the CPU).

Each function runs one layer in one direction over the whole sequence. The caller has already
computed the input projections of all time steps in one matrix product (`xw`, time major:
(T, B, gates * H)) and allocated every output; the loop here calls NumPy's matmul once per step
for the hidden-state product, into a preallocated buffer, and the C cell math of
`recurrent/cells.h` for everything elementwise. The backward functions run the recurrence back
through time and leave the per-step gradients of the gate pre-activations in arrays, from which
the caller gets the weight and input gradients with a few large matrix products.

Arrays are C-contiguous float32 or float64, all of one dtype (the op checks this). `reverse`
runs the loop from the last time step to the first, as the backward direction of a
bidirectional layer does; outputs stay in time order.
"""

import numpy

ctypedef fused real:
    float
    double

cdef extern from "autocompyute/recurrent/cells.h" nogil:
    void acr_tanh_array_f(Py_ssize_t n, const float *x, float *out)
    void acr_tanh_array_d(Py_ssize_t n, const double *x, double *out)
    void acr_sigmoid_array_f(Py_ssize_t n, const float *x, float *out)
    void acr_sigmoid_array_d(Py_ssize_t n, const double *x, double *out)
    void acr_rnn_forward_f(Py_ssize_t rows, Py_ssize_t size, int relu, const float *xw,
                           const float *hw, float *h)
    void acr_rnn_forward_d(Py_ssize_t rows, Py_ssize_t size, int relu, const double *xw,
                           const double *hw, double *h)
    void acr_rnn_backward_f(Py_ssize_t rows, Py_ssize_t size, int relu, const float *h,
                            const float *grad, const float *dh_next, float *dpre)
    void acr_rnn_backward_d(Py_ssize_t rows, Py_ssize_t size, int relu, const double *h,
                            const double *grad, const double *dh_next, double *dpre)
    void acr_lstm_forward_f(Py_ssize_t rows, Py_ssize_t size, const float *xw, const float *hw,
                            const float *c_prev, float *gates, float *c, float *tanh_c,
                            float *h)
    void acr_lstm_forward_d(Py_ssize_t rows, Py_ssize_t size, const double *xw,
                            const double *hw, const double *c_prev, double *gates, double *c,
                            double *tanh_c, double *h)
    void acr_lstm_backward_f(Py_ssize_t rows, Py_ssize_t size, const float *gates,
                             const float *c_prev, const float *tanh_c, const float *grad,
                             const float *dh_next, float *dc, float *dgates)
    void acr_lstm_backward_d(Py_ssize_t rows, Py_ssize_t size, const double *gates,
                             const double *c_prev, const double *tanh_c, const double *grad,
                             const double *dh_next, double *dc, double *dgates)
    void acr_gru_forward_f(Py_ssize_t rows, Py_ssize_t size, const float *xw, const float *hw,
                           const float *b_hn, const float *h_prev, float *saved, float *h)
    void acr_gru_forward_d(Py_ssize_t rows, Py_ssize_t size, const double *xw,
                           const double *hw, const double *b_hn, const double *h_prev,
                           double *saved, double *h)
    void acr_gru_backward_f(Py_ssize_t rows, Py_ssize_t size, const float *saved,
                            const float *h_prev, const float *grad, const float *dh_next,
                            float *carry, float *dxw, float *dhw)
    void acr_gru_backward_d(Py_ssize_t rows, Py_ssize_t size, const double *saved,
                            const double *h_prev, const double *grad, const double *dh_next,
                            double *carry, double *dxw, double *dhw)

cdef object _matmul = numpy.matmul


cdef object _or_zeros(object state, Py_ssize_t rows, Py_ssize_t size, object dtype):
    """The state, or zeros for None: the cell loops read a zero state like any other."""
    return numpy.zeros((rows, size), dtype=dtype) if state is None else state


cdef inline Py_ssize_t _step(Py_ssize_t k, Py_ssize_t steps, bint reverse) noexcept:
    """The time index of the k-th step of the loop."""
    return steps - 1 - k if reverse else k


# ---------------------------------------------------------------------------------- elementwise

def tanh(const real[::1] x, real[::1] out):
    """out = tanh(x), with the cell math's tanh (exposed so tests can check it elementwise)."""
    if real is float:
        acr_tanh_array_f(x.shape[0], &x[0], &out[0])
    else:
        acr_tanh_array_d(x.shape[0], &x[0], &out[0])


def sigmoid(const real[::1] x, real[::1] out):
    """out = sigmoid(x), with the cell math's sigmoid."""
    if real is float:
        acr_sigmoid_array_f(x.shape[0], &x[0], &out[0])
    else:
        acr_sigmoid_array_d(x.shape[0], &x[0], &out[0])


# ---------------------------------------------------------------------------------------- RNN

def rnn_forward(const real[:, :, ::1] xw, object w_hh, object h0, bint relu, bint reverse,
                real[:, :, ::1] out):
    """Elman recurrence: out[t] = act(xw[t] + h_prev w_hh^T); xw holds both biases.

    Args:
        xw: (T, B, H) input projections. w_hh: (H, H). h0: (B, H) or None for zeros.
        relu: ReLU instead of tanh. out: (T, B, H), written.
    """
    cdef Py_ssize_t steps = xw.shape[0], rows = xw.shape[1], size = xw.shape[2]
    cdef object out_array = out.base
    cdef object w_t = numpy.ascontiguousarray(w_hh.T)  # BLAS is faster on it than on w_hh.T
    cdef object hw = numpy.zeros((rows, size), dtype=out_array.dtype)
    cdef real[:, ::1] hw_view = hw
    cdef object h_prev = h0
    cdef Py_ssize_t k, t
    for k in range(steps):
        t = _step(k, steps, reverse)
        if h_prev is not None:
            _matmul(h_prev, w_t, out=hw)
        if real is float:
            acr_rnn_forward_f(rows, size, relu, &xw[t, 0, 0], &hw_view[0, 0], &out[t, 0, 0])
        else:
            acr_rnn_forward_d(rows, size, relu, &xw[t, 0, 0], &hw_view[0, 0], &out[t, 0, 0])
        h_prev = out_array[t]


def rnn_backward(const real[:, :, ::1] out, const real[:, :, ::1] grad, object w_hh, bint relu,
                 bint reverse, real[:, :, ::1] dpre):
    """Back through time: fills dpre (T, B, H), the gradients of the pre-activations.

    Args:
        out: (T, B, H) forward outputs. grad: (T, B, H) gradient w.r.t. them. w_hh: (H, H).

    Returns:
        The gradient w.r.t. the initial state h0, (B, H).
    """
    cdef Py_ssize_t steps = out.shape[0], rows = out.shape[1], size = out.shape[2]
    cdef object dpre_array = dpre.base
    cdef object dh = numpy.zeros((rows, size), dtype=dpre_array.dtype)
    cdef real[:, ::1] dh_view = dh
    cdef Py_ssize_t k, t
    for k in range(steps - 1, -1, -1):
        t = _step(k, steps, reverse)
        if real is float:
            acr_rnn_backward_f(rows, size, relu, &out[t, 0, 0], &grad[t, 0, 0], &dh_view[0, 0],
                               &dpre[t, 0, 0])
        else:
            acr_rnn_backward_d(rows, size, relu, &out[t, 0, 0], &grad[t, 0, 0], &dh_view[0, 0],
                               &dpre[t, 0, 0])
        _matmul(dpre_array[t], w_hh, out=dh)
    return dh


# --------------------------------------------------------------------------------------- LSTM

def lstm_forward(const real[:, :, ::1] xw, object w_hh, object h0, object c0, bint reverse,
                 real[:, :, ::1] out, real[:, :, ::1] gates, real[:, :, ::1] cells,
                 real[:, :, ::1] tanh_cells):
    """LSTM recurrence over the sequence.

    Args:
        xw: (T, B, 4H) input projections plus both biases. w_hh: (4H, H).
        h0, c0: (B, H) initial states, or None for zeros.
        out: (T, B, H) hidden states, written. gates: (T, B, 4H) gate activations, written.
        cells, tanh_cells: (T, B, H) cell states and their tanh, written.
    """
    cdef Py_ssize_t steps = xw.shape[0], rows = xw.shape[1], size = out.shape[2]
    cdef object out_array = out.base
    cdef object w_t = numpy.ascontiguousarray(w_hh.T)  # BLAS is faster on it than on w_hh.T
    cdef object hw = numpy.zeros((rows, 4 * size), dtype=out_array.dtype)
    cdef real[:, ::1] hw_view = hw
    cdef const real[:, ::1] c0_view = _or_zeros(c0, rows, size, out_array.dtype)
    cdef object h_prev = h0
    cdef Py_ssize_t k, t
    cdef const real *c_prev = &c0_view[0, 0]
    for k in range(steps):
        t = _step(k, steps, reverse)
        if h_prev is not None:
            _matmul(h_prev, w_t, out=hw)
        if real is float:
            acr_lstm_forward_f(rows, size, &xw[t, 0, 0], &hw_view[0, 0], c_prev,
                               &gates[t, 0, 0], &cells[t, 0, 0], &tanh_cells[t, 0, 0],
                               &out[t, 0, 0])
        else:
            acr_lstm_forward_d(rows, size, &xw[t, 0, 0], &hw_view[0, 0], c_prev,
                               &gates[t, 0, 0], &cells[t, 0, 0], &tanh_cells[t, 0, 0],
                               &out[t, 0, 0])
        h_prev = out_array[t]
        c_prev = &cells[t, 0, 0]


def lstm_backward(const real[:, :, ::1] gates, const real[:, :, ::1] cells,
                  const real[:, :, ::1] tanh_cells, object c0, const real[:, :, ::1] grad,
                  real[:, ::1] dc, object w_hh, bint reverse, real[:, :, ::1] dgates):
    """Back through time: fills dgates (T, B, 4H), the gradients of the gate pre-activations.

    Args:
        gates, cells, tanh_cells: as written by lstm_forward. c0: (B, H) or None.
        grad: (T, B, H) gradient w.r.t. the hidden states.
        dc: (B, H) gradient w.r.t. the last cell state; overwritten with the one w.r.t. c0.
        w_hh: (4H, H).

    Returns:
        The gradient w.r.t. the initial hidden state h0, (B, H).
    """
    cdef Py_ssize_t steps = gates.shape[0], rows = gates.shape[1], size = cells.shape[2]
    cdef object dgates_array = dgates.base
    cdef const real[:, ::1] c0_view = _or_zeros(c0, rows, size, dgates_array.dtype)
    cdef object dh = numpy.zeros((rows, size), dtype=dgates_array.dtype)
    cdef real[:, ::1] dh_view = dh
    cdef Py_ssize_t k, t
    cdef const real *c_prev
    for k in range(steps - 1, -1, -1):
        t = _step(k, steps, reverse)
        c_prev = &c0_view[0, 0] if k == 0 else &cells[_step(k - 1, steps, reverse), 0, 0]
        if real is float:
            acr_lstm_backward_f(rows, size, &gates[t, 0, 0], c_prev, &tanh_cells[t, 0, 0],
                                &grad[t, 0, 0], &dh_view[0, 0], &dc[0, 0], &dgates[t, 0, 0])
        else:
            acr_lstm_backward_d(rows, size, &gates[t, 0, 0], c_prev, &tanh_cells[t, 0, 0],
                                &grad[t, 0, 0], &dh_view[0, 0], &dc[0, 0], &dgates[t, 0, 0])
        _matmul(dgates_array[t], w_hh, out=dh)
    return dh


# ---------------------------------------------------------------------------------------- GRU

def gru_forward(const real[:, :, ::1] xw, object w_hh, object b_hn, object h0, bint reverse,
                real[:, :, ::1] out, real[:, :, ::1] saved):
    """GRU recurrence over the sequence.

    Args:
        xw: (T, B, 3H) input projections plus b_ih, and b_hh in the reset and update blocks.
        w_hh: (3H, H). b_hn: (H,) new-gate block of b_hh, or None. h0: (B, H) or None.
        out: (T, B, H) hidden states, written. saved: (T, B, 4H) [r z n hn], written.
    """
    cdef Py_ssize_t steps = xw.shape[0], rows = xw.shape[1], size = out.shape[2]
    cdef object out_array = out.base
    cdef const real[::1] b_view = (numpy.zeros(size, dtype=out_array.dtype) if b_hn is None
                                   else b_hn)
    cdef const real[:, ::1] h0_view = _or_zeros(h0, rows, size, out_array.dtype)
    cdef object w_t = numpy.ascontiguousarray(w_hh.T)  # BLAS is faster on it than on w_hh.T
    cdef object hw = numpy.zeros((rows, 3 * size), dtype=out_array.dtype)
    cdef real[:, ::1] hw_view = hw
    cdef object h_prev = h0
    cdef Py_ssize_t k, t
    cdef const real *h_prev_ptr = &h0_view[0, 0]
    for k in range(steps):
        t = _step(k, steps, reverse)
        if h_prev is not None:
            _matmul(h_prev, w_t, out=hw)
        if real is float:
            acr_gru_forward_f(rows, size, &xw[t, 0, 0], &hw_view[0, 0], &b_view[0], h_prev_ptr,
                              &saved[t, 0, 0], &out[t, 0, 0])
        else:
            acr_gru_forward_d(rows, size, &xw[t, 0, 0], &hw_view[0, 0], &b_view[0], h_prev_ptr,
                              &saved[t, 0, 0], &out[t, 0, 0])
        h_prev = out_array[t]
        h_prev_ptr = &out[t, 0, 0]


def gru_backward(const real[:, :, ::1] saved, const real[:, :, ::1] out, object h0,
                 const real[:, :, ::1] grad, object w_hh, bint reverse, real[:, :, ::1] dxw,
                 real[:, :, ::1] dhw):
    """Back through time: fills dxw and dhw (T, B, 3H), the gradients of the projections.

    Args:
        saved, out: as written by gru_forward. h0: (B, H) or None.
        grad: (T, B, H) gradient w.r.t. the hidden states. w_hh: (3H, H).

    Returns:
        The gradient w.r.t. the initial state h0, (B, H).
    """
    cdef Py_ssize_t steps = saved.shape[0], rows = saved.shape[1], size = out.shape[2]
    cdef object dhw_array = dhw.base
    cdef const real[:, ::1] h0_view = _or_zeros(h0, rows, size, dhw_array.dtype)
    cdef object dh = numpy.zeros((rows, size), dtype=dhw_array.dtype)
    cdef object carry = numpy.zeros((rows, size), dtype=dhw_array.dtype)
    cdef real[:, ::1] dh_view = dh
    cdef real[:, ::1] carry_view = carry
    cdef Py_ssize_t k, t
    cdef const real *h_prev
    for k in range(steps - 1, -1, -1):
        t = _step(k, steps, reverse)
        h_prev = &h0_view[0, 0] if k == 0 else &out[_step(k - 1, steps, reverse), 0, 0]
        if real is float:
            acr_gru_backward_f(rows, size, &saved[t, 0, 0], h_prev, &grad[t, 0, 0],
                               &dh_view[0, 0], &carry_view[0, 0], &dxw[t, 0, 0], &dhw[t, 0, 0])
        else:
            acr_gru_backward_d(rows, size, &saved[t, 0, 0], h_prev, &grad[t, 0, 0],
                               &dh_view[0, 0], &carry_view[0, 0], &dxw[t, 0, 0], &dhw[t, 0, 0])
        _matmul(dhw_array[t], w_hh, out=dh)
    carry += dh
    return carry
