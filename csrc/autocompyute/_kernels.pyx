"""Fused CPU kernels on float32/float64 NumPy arrays (the loops are C, in kernels/).

Every function takes C-contiguous arrays of one floating dtype, already shaped as the kernel
needs (the Python side, `autocompyute.kernels`, converts and allocates), checks their sizes and
runs the loop without the GIL. The NumPy/CuPy reference implementations live with the ops.
"""

from cython cimport floating
from libc.stdint cimport int64_t


cdef extern from "kernels/kernels.h" nogil:
    void ac_gelu_tanh_forward_f(Py_ssize_t n, const float *x, float *out)
    void ac_gelu_tanh_forward_d(Py_ssize_t n, const double *x, double *out)
    void ac_gelu_tanh_backward_f(Py_ssize_t n, const float *x, const float *grad, float *out)
    void ac_gelu_tanh_backward_d(Py_ssize_t n, const double *x, const double *grad,
                                 double *out)
    void ac_gelu_erf_forward_f(Py_ssize_t n, const float *x, float *out)
    void ac_gelu_erf_forward_d(Py_ssize_t n, const double *x, double *out)
    void ac_gelu_erf_backward_f(Py_ssize_t n, const float *x, const float *grad, float *out)
    void ac_gelu_erf_backward_d(Py_ssize_t n, const double *x, const double *grad, double *out)
    void ac_layer_norm_forward_f(Py_ssize_t rows, Py_ssize_t cols, const float *x,
                                 const float *w, const float *b, double eps, float *out,
                                 float *mean_out, float *inv_std_out)
    void ac_layer_norm_forward_d(Py_ssize_t rows, Py_ssize_t cols, const double *x,
                                 const double *w, const double *b, double eps, double *out,
                                 double *mean_out, double *inv_std_out)
    void ac_layer_norm_backward_f(Py_ssize_t rows, Py_ssize_t cols, const float *x,
                                  const float *mean, const float *inv_std, const float *w,
                                  const float *grad, float *grad_x, double *grad_w,
                                  double *grad_b)
    void ac_layer_norm_backward_d(Py_ssize_t rows, Py_ssize_t cols, const double *x,
                                  const double *mean, const double *inv_std, const double *w,
                                  const double *grad, double *grad_x, double *grad_w,
                                  double *grad_b)
    void ac_softmax_forward_f(Py_ssize_t rows, Py_ssize_t cols, const float *x,
                              Py_ssize_t n_queries, int log_output, float *out)
    void ac_softmax_forward_d(Py_ssize_t rows, Py_ssize_t cols, const double *x,
                              Py_ssize_t n_queries, int log_output, double *out)
    void ac_softmax_backward_f(Py_ssize_t rows, Py_ssize_t cols, const float *out,
                               const float *grad, float *result)
    void ac_softmax_backward_d(Py_ssize_t rows, Py_ssize_t cols, const double *out,
                               const double *grad, double *result)
    void ac_log_softmax_backward_f(Py_ssize_t rows, Py_ssize_t cols, const float *out,
                                   const float *grad, Py_ssize_t n_queries, float *result)
    void ac_log_softmax_backward_d(Py_ssize_t rows, Py_ssize_t cols, const double *out,
                                   const double *grad, Py_ssize_t n_queries, double *result)
    double ac_cross_entropy_f(Py_ssize_t rows, Py_ssize_t cols, const float *logits,
                              const int64_t *targets, int64_t ignore_index, double smoothing,
                              float *grad_out, Py_ssize_t *bad_row)
    double ac_cross_entropy_d(Py_ssize_t rows, Py_ssize_t cols, const double *logits,
                              const int64_t *targets, int64_t ignore_index, double smoothing,
                              double *grad_out, Py_ssize_t *bad_row)
    void ac_adam_update_f(Py_ssize_t n, float *param, const float *grad, float *exp_avg,
                          float *exp_avg_sq, double lr, double beta1, double beta2, double eps,
                          double weight_decay, int decoupled, double step_factor,
                          double correction)
    void ac_adam_update_d(Py_ssize_t n, double *param, const double *grad, double *exp_avg,
                          double *exp_avg_sq, double lr, double beta1, double beta2,
                          double eps, double weight_decay, int decoupled, double step_factor,
                          double correction)


cdef inline void _check_size(str kernel, str name, Py_ssize_t got, Py_ssize_t expected) except *:
    if got != expected:
        raise ValueError(f"{kernel}: {name} has {got} elements, expected {expected}")


cdef inline void _check_rows(str kernel, str name, tuple got, Py_ssize_t rows,
                             Py_ssize_t cols) except *:
    if got[0] != rows or got[1] != cols:
        raise ValueError(f"{kernel}: {name} has shape {got}, expected ({rows}, {cols})")


def gelu_forward(const floating[::1] x, floating[::1] out, bint approximate_tanh):
    """out = gelu(x), tanh approximation or exact (erf) form; x and out flat."""
    _check_size("gelu_forward", "out", out.shape[0], x.shape[0])
    with nogil:
        if floating is float:
            if approximate_tanh:
                ac_gelu_tanh_forward_f(x.shape[0], &x[0], &out[0])
            else:
                ac_gelu_erf_forward_f(x.shape[0], &x[0], &out[0])
        else:
            if approximate_tanh:
                ac_gelu_tanh_forward_d(x.shape[0], &x[0], &out[0])
            else:
                ac_gelu_erf_forward_d(x.shape[0], &x[0], &out[0])


def gelu_backward(const floating[::1] x, const floating[::1] grad, floating[::1] out,
                  bint approximate_tanh):
    """out = grad * gelu'(x), in the form gelu_forward computed; all flat."""
    _check_size("gelu_backward", "grad", grad.shape[0], x.shape[0])
    _check_size("gelu_backward", "out", out.shape[0], x.shape[0])
    with nogil:
        if floating is float:
            if approximate_tanh:
                ac_gelu_tanh_backward_f(x.shape[0], &x[0], &grad[0], &out[0])
            else:
                ac_gelu_erf_backward_f(x.shape[0], &x[0], &grad[0], &out[0])
        else:
            if approximate_tanh:
                ac_gelu_tanh_backward_d(x.shape[0], &x[0], &grad[0], &out[0])
            else:
                ac_gelu_erf_backward_d(x.shape[0], &x[0], &grad[0], &out[0])


def layer_norm_forward(const floating[:, ::1] x, const floating[::1] w, const floating[::1] b,
                       double eps, floating[:, ::1] out, floating[::1] mean,
                       floating[::1] inv_std):
    """Normalizes each row of x (rows, D), then * w + b (each (D,) or None) into out.

    Writes each row's mean and 1 / sqrt(var + eps) to mean and inv_std (rows,).
    """
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1]
    cdef const floating *w_ptr = NULL
    cdef const floating *b_ptr = NULL
    _check_rows("layer_norm_forward", "out", (out.shape[0], out.shape[1]), rows, cols)
    _check_size("layer_norm_forward", "mean", mean.shape[0], rows)
    _check_size("layer_norm_forward", "inv_std", inv_std.shape[0], rows)
    if w is not None:
        _check_size("layer_norm_forward", "w", w.shape[0], cols)
        w_ptr = &w[0]
    if b is not None:
        _check_size("layer_norm_forward", "b", b.shape[0], cols)
        b_ptr = &b[0]
    if rows == 0 or cols == 0:
        return
    with nogil:
        if floating is float:
            ac_layer_norm_forward_f(rows, cols, &x[0, 0], w_ptr, b_ptr, eps, &out[0, 0],
                                    &mean[0], &inv_std[0])
        else:
            ac_layer_norm_forward_d(rows, cols, &x[0, 0], w_ptr, b_ptr, eps, &out[0, 0],
                                    &mean[0], &inv_std[0])


def layer_norm_backward(const floating[:, ::1] x, const floating[::1] mean,
                        const floating[::1] inv_std, const floating[::1] w,
                        const floating[:, ::1] grad, floating[:, ::1] grad_x,
                        double[::1] grad_w, double[::1] grad_b):
    """Gradients of layer_norm_forward; grad_x, grad_w, grad_b may each be None.

    grad_w and grad_b (D,) are float64 accumulators that must start at zero.
    """
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1]
    cdef const floating *w_ptr = NULL
    cdef floating *grad_x_ptr = NULL
    cdef double *grad_w_ptr = NULL
    cdef double *grad_b_ptr = NULL
    _check_size("layer_norm_backward", "mean", mean.shape[0], rows)
    _check_size("layer_norm_backward", "inv_std", inv_std.shape[0], rows)
    _check_rows("layer_norm_backward", "grad", (grad.shape[0], grad.shape[1]), rows, cols)
    if rows == 0 or cols == 0:
        return
    if w is not None:
        _check_size("layer_norm_backward", "w", w.shape[0], cols)
        w_ptr = &w[0]
    if grad_x is not None:
        _check_rows("layer_norm_backward", "grad_x", (grad_x.shape[0], grad_x.shape[1]),
                    rows, cols)
        grad_x_ptr = &grad_x[0, 0]
    if grad_w is not None:
        _check_size("layer_norm_backward", "grad_w", grad_w.shape[0], cols)
        grad_w_ptr = &grad_w[0]
    if grad_b is not None:
        _check_size("layer_norm_backward", "grad_b", grad_b.shape[0], cols)
        grad_b_ptr = &grad_b[0]
    with nogil:
        if floating is float:
            ac_layer_norm_backward_f(rows, cols, &x[0, 0], &mean[0], &inv_std[0], w_ptr,
                                     &grad[0, 0], grad_x_ptr, grad_w_ptr, grad_b_ptr)
        else:
            ac_layer_norm_backward_d(rows, cols, &x[0, 0], &mean[0], &inv_std[0], w_ptr,
                                     &grad[0, 0], grad_x_ptr, grad_w_ptr, grad_b_ptr)


def softmax_forward(const floating[:, ::1] x, Py_ssize_t n_queries, bint log_output,
                    floating[:, ::1] out):
    """Softmax (or with log_output, log-softmax) of each row of x (rows, S) into out.

    With n_queries > 0 a causal mask applies: row r is query r % n_queries and sees the keys
    0..query (the rest of the row gets 0, or -inf for the log-softmax).
    """
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1]
    _check_rows("softmax_forward", "out", (out.shape[0], out.shape[1]), rows, cols)
    if rows == 0 or cols == 0:
        return
    with nogil:
        if floating is float:
            ac_softmax_forward_f(rows, cols, &x[0, 0], n_queries, log_output, &out[0, 0])
        else:
            ac_softmax_forward_d(rows, cols, &x[0, 0], n_queries, log_output, &out[0, 0])


def softmax_backward(const floating[:, ::1] out, const floating[:, ::1] grad,
                     floating[:, ::1] result):
    """Gradient of the softmax (rows, S) given its output and the output's gradient."""
    cdef Py_ssize_t rows = out.shape[0], cols = out.shape[1]
    _check_rows("softmax_backward", "grad", (grad.shape[0], grad.shape[1]), rows, cols)
    _check_rows("softmax_backward", "result", (result.shape[0], result.shape[1]), rows, cols)
    if rows == 0 or cols == 0:
        return
    with nogil:
        if floating is float:
            ac_softmax_backward_f(rows, cols, &out[0, 0], &grad[0, 0], &result[0, 0])
        else:
            ac_softmax_backward_d(rows, cols, &out[0, 0], &grad[0, 0], &result[0, 0])


def log_softmax_backward(const floating[:, ::1] out, const floating[:, ::1] grad,
                         Py_ssize_t n_queries, floating[:, ::1] result):
    """Gradient of the log-softmax (rows, S) given its output and the output's gradient."""
    cdef Py_ssize_t rows = out.shape[0], cols = out.shape[1]
    _check_rows("log_softmax_backward", "grad", (grad.shape[0], grad.shape[1]), rows, cols)
    _check_rows("log_softmax_backward", "result", (result.shape[0], result.shape[1]), rows,
                cols)
    if rows == 0 or cols == 0:
        return
    with nogil:
        if floating is float:
            ac_log_softmax_backward_f(rows, cols, &out[0, 0], &grad[0, 0], n_queries,
                                      &result[0, 0])
        else:
            ac_log_softmax_backward_d(rows, cols, &out[0, 0], &grad[0, 0], n_queries,
                                      &result[0, 0])


def cross_entropy(const floating[:, ::1] logits, const int64_t[::1] targets,
                  int64_t ignore_index, double smoothing, floating[:, ::1] grad_out):
    """Mean softmax cross-entropy of logits (N, C) against class indices (N,).

    Rows whose target is ignore_index are left out; writes d loss / d logits to grad_out and
    returns the loss as a float (nan when every row is ignored).
    """
    cdef Py_ssize_t rows = logits.shape[0], cols = logits.shape[1]
    cdef Py_ssize_t bad_row = -1
    cdef double loss
    _check_size("cross_entropy", "targets", targets.shape[0], rows)
    _check_rows("cross_entropy", "grad_out", (grad_out.shape[0], grad_out.shape[1]), rows,
                cols)
    if rows == 0:
        return float("nan")
    with nogil:
        if floating is float:
            loss = ac_cross_entropy_f(rows, cols, &logits[0, 0], &targets[0], ignore_index,
                                      smoothing, &grad_out[0, 0], &bad_row)
        else:
            loss = ac_cross_entropy_d(rows, cols, &logits[0, 0], &targets[0], ignore_index,
                                      smoothing, &grad_out[0, 0], &bad_row)
    if bad_row >= 0:
        raise IndexError(
            f"cross_entropy: target {targets[bad_row]} of item {bad_row} is not a class index "
            f"in [0, {cols}) nor ignore_index={ignore_index}"
        )
    return loss


cdef void _adam_one(floating[::1] param, const floating[::1] grad, floating[::1] exp_avg,
                    floating[::1] exp_avg_sq, double lr, double beta1, double beta2, double eps,
                    double weight_decay, int decoupled, double step_factor,
                    double correction) except *:
    cdef Py_ssize_t n = param.shape[0]
    _check_size("adam_update", "grad", grad.shape[0], n)
    _check_size("adam_update", "exp_avg", exp_avg.shape[0], n)
    _check_size("adam_update", "exp_avg_sq", exp_avg_sq.shape[0], n)
    if n == 0:
        return
    with nogil:
        if floating is float:
            ac_adam_update_f(n, &param[0], &grad[0], &exp_avg[0], &exp_avg_sq[0], lr, beta1,
                             beta2, eps, weight_decay, decoupled, step_factor, correction)
        else:
            ac_adam_update_d(n, &param[0], &grad[0], &exp_avg[0], &exp_avg_sq[0], lr, beta1,
                             beta2, eps, weight_decay, decoupled, step_factor, correction)


def adam_update(list params, list grads, list exp_avgs, list exp_avg_sqs, list steps,
                double lr, double beta1, double beta2, double eps, double weight_decay,
                bint decoupled):
    """One Adam/AdamW step over a group of parameters, in place.

    Each list holds one flat C-contiguous array (or, for steps, the step count after this
    update) per parameter; the arrays of one parameter share one floating dtype.
    """
    cdef Py_ssize_t count = len(params), index
    cdef long step
    cdef double step_factor, correction
    if not (len(grads) == len(exp_avgs) == len(exp_avg_sqs) == len(steps) == count):
        raise ValueError("adam_update: params, grads, exp_avgs, exp_avg_sqs and steps must "
                         "have the same length")
    for index in range(count):
        step = steps[index]
        step_factor = -lr / (1.0 - beta1 ** step)
        correction = (1.0 - beta2 ** step) ** 0.5
        param = params[index]
        if param.dtype.itemsize == 4:
            _adam_one[float](param, grads[index], exp_avgs[index], exp_avg_sqs[index], lr,
                             beta1, beta2, eps, weight_decay, decoupled, step_factor,
                             correction)
        else:
            _adam_one[double](param, grads[index], exp_avgs[index], exp_avg_sqs[index], lr,
                              beta1, beta2, eps, weight_decay, decoupled, step_factor,
                              correction)
