/* Kernel bodies, included by kernels.h once per element type: AC_T is the type, AC_FN(name)
 * appends the type's suffix, AC_EXP/AC_LOG/AC_ERF/AC_SQRT are its libm functions. Arrays are
 * C-contiguous; `rows` x `cols` arrays are row-major. No include guard on purpose: the end
 * undefines the type's macros for the next instantiation. */

/* ------------------------------------------------------------------------------ GELU */

/* exp(-2u), u = sqrt(2/pi) (x + 0.044715 x^3), with -2u capped where exp would overflow (the
 * GELU gate 1 / (1 + exp(-2u)) is ~0 there anyway); NaN passes the cap. */
static inline AC_T AC_FN(ac_gelu_decay)(AC_T v)
{
    const AC_T cubic = (AC_T)(-2.0 * AC_GELU_SCALE * AC_GELU_CUBIC);
    const AC_T linear = (AC_T)(2.0 * AC_GELU_SCALE);
    AC_T decay = (v * v * cubic - linear) * v;
    return AC_EXP(decay > AC_EXP_CAP ? AC_EXP_CAP : decay);
}

/* x * sigmoid(2u), as 0.5 (1 + tanh(u)) = sigmoid(2u) has no cancellation for large |x|. */
AC_KERNEL void AC_FN(ac_gelu_tanh_forward)(ptrdiff_t n, const AC_T *x, AC_T *out)
{
    AC_SIMD
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = x[i] * ((AC_T)1 / (AC_FN(ac_gelu_decay)(x[i]) + (AC_T)1));
}

/* d/dx [x s(2u)] = s + x * 2 s (1 - s) du/dx, with 1 - s = exp(-2u) s. */
AC_KERNEL void AC_FN(ac_gelu_tanh_backward)(ptrdiff_t n, const AC_T *x, const AC_T *grad,
                                            AC_T *out)
{
    const AC_T linear = (AC_T)(2.0 * AC_GELU_SCALE);
    const AC_T inner_cubic = (AC_T)(6.0 * AC_GELU_SCALE * AC_GELU_CUBIC);
    AC_SIMD
    for (ptrdiff_t i = 0; i < n; i++) {
        AC_T v = x[i];
        AC_T decay = AC_FN(ac_gelu_decay)(v);
        AC_T gate = (AC_T)1 / (decay + (AC_T)1);
        AC_T slope = decay * gate * gate * (v * v * inner_cubic + linear) * v + gate;
        out[i] = slope * grad[i];
    }
}

/* 0.5 x (1 + erf(x / sqrt 2)). */
AC_KERNEL void AC_FN(ac_gelu_erf_forward)(ptrdiff_t n, const AC_T *x, AC_T *out)
{
    const AC_T inv_sqrt2 = (AC_T)0.7071067811865476;
    AC_SIMD
    for (ptrdiff_t i = 0; i < n; i++) {
        AC_T v = x[i];
        out[i] = v * (AC_T)0.5 * ((AC_T)1 + AC_ERF(v * inv_sqrt2));
    }
}

/* Phi(x) + x phi(x), phi the standard normal density. */
AC_KERNEL void AC_FN(ac_gelu_erf_backward)(ptrdiff_t n, const AC_T *x, const AC_T *grad, AC_T *out)
{
    const AC_T inv_sqrt2 = (AC_T)0.7071067811865476;
    const AC_T inv_sqrt_2pi = (AC_T)AC_INV_SQRT_2PI;
    AC_SIMD
    for (ptrdiff_t i = 0; i < n; i++) {
        AC_T v = x[i];
        AC_T cdf = (AC_T)0.5 * ((AC_T)1 + AC_ERF(v * inv_sqrt2));
        AC_T pdf = AC_EXP(v * v * (AC_T)-0.5) * inv_sqrt_2pi;
        out[i] = (cdf + v * pdf) * grad[i];
    }
}

/* ------------------------------------------------------------------------------ LayerNorm */

/* Per row: mean, biased variance of the centered row, inv_std = 1 / sqrt(var + eps);
 * out = (x - mean) inv_std w + b (w, b may be NULL). Writes mean and inv_std per row. */
AC_KERNEL void AC_FN(ac_layer_norm_forward)(ptrdiff_t rows, ptrdiff_t cols, const AC_T *x,
                                         const AC_T *w, const AC_T *b, double eps, AC_T *out,
                                         AC_T *mean_out, AC_T *inv_std_out)
{
    for (ptrdiff_t r = 0; r < rows; r++) {
        const AC_T *row = x + r * cols;
        AC_T *dst = out + r * cols;
        AC_T total = 0;
        AC_SIMD_SUM(total)
        for (ptrdiff_t j = 0; j < cols; j++) total += row[j];
        AC_T mean = total / (AC_T)cols;
        AC_T squares = 0;
        AC_SIMD_SUM(squares)
        for (ptrdiff_t j = 0; j < cols; j++) {
            AC_T c = row[j] - mean;
            squares += c * c;
        }
        AC_T inv_std = (AC_T)1 / AC_SQRT(squares / (AC_T)cols + (AC_T)eps);
        mean_out[r] = mean;
        inv_std_out[r] = inv_std;
        if (w != NULL && b != NULL) {
            AC_SIMD
            for (ptrdiff_t j = 0; j < cols; j++) dst[j] = (row[j] - mean) * inv_std * w[j] + b[j];
        } else if (w != NULL) {
            AC_SIMD
            for (ptrdiff_t j = 0; j < cols; j++) dst[j] = (row[j] - mean) * inv_std * w[j];
        } else if (b != NULL) {
            AC_SIMD
            for (ptrdiff_t j = 0; j < cols; j++) dst[j] = (row[j] - mean) * inv_std + b[j];
        } else {
            AC_SIMD
            for (ptrdiff_t j = 0; j < cols; j++) dst[j] = (row[j] - mean) * inv_std;
        }
    }
}

/* With n = (x - mean) inv_std and g = grad w: grad_x = (g - mean(g) - n mean(g n)) inv_std;
 * grad_w += sum over rows of grad n, grad_b += sum of grad (double accumulators, zeroed by the
 * caller). grad_x, w, grad_w, grad_b may be NULL. */
AC_KERNEL void AC_FN(ac_layer_norm_backward)(ptrdiff_t rows, ptrdiff_t cols, const AC_T *x,
                                          const AC_T *mean, const AC_T *inv_std, const AC_T *w,
                                          const AC_T *grad, AC_T *grad_x, double *grad_w,
                                          double *grad_b)
{
    for (ptrdiff_t r = 0; r < rows; r++) {
        const AC_T *row = x + r * cols;
        const AC_T *grad_row = grad + r * cols;
        const AC_T m = mean[r], s = inv_std[r];
        if (grad_x != NULL) {
            AC_T *dst = grad_x + r * cols;
            AC_T sum_g = 0, sum_gn = 0;
            AC_SIMD_SUM2(sum_g, sum_gn)
            for (ptrdiff_t j = 0; j < cols; j++) {
                AC_T g = w != NULL ? grad_row[j] * w[j] : grad_row[j];
                sum_g += g;
                sum_gn += g * ((row[j] - m) * s);
            }
            const AC_T mean_g = sum_g / (AC_T)cols, mean_gn = sum_gn / (AC_T)cols;
            AC_SIMD
            for (ptrdiff_t j = 0; j < cols; j++) {
                AC_T g = w != NULL ? grad_row[j] * w[j] : grad_row[j];
                AC_T normed = (row[j] - m) * s;
                dst[j] = (g - mean_g - normed * mean_gn) * s;
            }
        }
        if (grad_w != NULL) {
            AC_SIMD
            for (ptrdiff_t j = 0; j < cols; j++)
                grad_w[j] += (double)(grad_row[j] * ((row[j] - m) * s));
        }
        if (grad_b != NULL) {
            AC_SIMD
            for (ptrdiff_t j = 0; j < cols; j++) grad_b[j] += (double)grad_row[j];
        }
    }
}

/* ------------------------------------------------------------------------------ softmax */

/* The number of leading entries of row r that are not masked: all `cols`, or with a causal mask
 * (`n_queries` > 0, rows cycling through the queries) the keys up to the row's query. */
static ptrdiff_t AC_FN(ac_visible)(ptrdiff_t r, ptrdiff_t cols, ptrdiff_t n_queries)
{
    if (n_queries <= 0) return cols;
    ptrdiff_t visible = r % n_queries + 1;
    return visible < cols ? visible : cols;
}

static AC_T AC_FN(ac_row_max)(const AC_T *row, ptrdiff_t n)
{
    AC_T m = row[0];
    for (ptrdiff_t j = 1; j < n; j++) m = row[j] > m ? row[j] : m;
    return m;
}

/* Softmax (log_output = 0) or log-softmax (1) along each row: exp(x - max) / sum, or
 * x - max - log(sum); masked entries get 0 or -inf. */
AC_KERNEL void AC_FN(ac_softmax_forward)(ptrdiff_t rows, ptrdiff_t cols, const AC_T *x,
                                         ptrdiff_t n_queries, int log_output, AC_T *out)
{
    for (ptrdiff_t r = 0; r < rows; r++) {
        const AC_T *row = x + r * cols;
        AC_T *dst = out + r * cols;
        ptrdiff_t n = AC_FN(ac_visible)(r, cols, n_queries);
        if (n == 0) continue;
        /* a NaN anywhere in the row makes the sum NaN, so the whole row is NaN, as in NumPy */
        AC_T m = AC_FN(ac_row_max)(row, n);
        AC_T total = 0;
        AC_SIMD_SUM(total)
        for (ptrdiff_t j = 0; j < n; j++) {
            AC_T e = AC_EXP(row[j] - m);
            dst[j] = e;
            total += e;
        }
        if (log_output) {
            AC_T log_total = AC_LOG(total);
            AC_SIMD
            for (ptrdiff_t j = 0; j < n; j++) dst[j] = (row[j] - m) - log_total;
            for (ptrdiff_t j = n; j < cols; j++) dst[j] = -(AC_T)INFINITY;
        } else {
            AC_SIMD
            for (ptrdiff_t j = 0; j < n; j++) dst[j] = dst[j] / total;
            for (ptrdiff_t j = n; j < cols; j++) dst[j] = 0;
        }
    }
}

/* out (grad - <grad, out>) along each row. */
AC_KERNEL void AC_FN(ac_softmax_backward)(ptrdiff_t rows, ptrdiff_t cols, const AC_T *out,
                                       const AC_T *grad, AC_T *result)
{
    for (ptrdiff_t r = 0; r < rows; r++) {
        const AC_T *o = out + r * cols, *g = grad + r * cols;
        AC_T *dst = result + r * cols;
        AC_T dot = 0;
        AC_SIMD_SUM(dot)
        for (ptrdiff_t j = 0; j < cols; j++) dot += g[j] * o[j];
        AC_SIMD
        for (ptrdiff_t j = 0; j < cols; j++) dst[j] = (g[j] - dot) * o[j];
    }
}

/* grad - exp(out) sum(grad) along each row; masked entries get 0. The sum runs over the whole
 * row: a masked output is -inf - log(total), which still depends on the visible entries. */
AC_KERNEL void AC_FN(ac_log_softmax_backward)(ptrdiff_t rows, ptrdiff_t cols, const AC_T *out,
                                           const AC_T *grad, ptrdiff_t n_queries, AC_T *result)
{
    for (ptrdiff_t r = 0; r < rows; r++) {
        const AC_T *o = out + r * cols, *g = grad + r * cols;
        AC_T *dst = result + r * cols;
        ptrdiff_t n = AC_FN(ac_visible)(r, cols, n_queries);
        AC_T total = 0;
        AC_SIMD_SUM(total)
        for (ptrdiff_t j = 0; j < cols; j++) total += g[j];
        AC_SIMD
        for (ptrdiff_t j = 0; j < n; j++) dst[j] = g[j] - AC_EXP(o[j]) * total;
        for (ptrdiff_t j = n; j < cols; j++) dst[j] = 0;
    }
}

/* ------------------------------------------------------------------------------ cross-entropy */

/* Softmax cross-entropy of each row against its class index, averaged over the `count` rows
 * whose target is not `ignore_index`; with label smoothing s the target distribution is
 * (1 - s) one_hot + s / C. Writes d loss / d logits (0 on ignored rows) to grad_out and returns
 * the loss; returns NaN when count is 0 (PyTorch's 0 / 0). Returns -1 in *bad_row if a target is
 * out of range (nothing else is guaranteed then). */
AC_KERNEL double AC_FN(ac_cross_entropy)(ptrdiff_t rows, ptrdiff_t cols, const AC_T *logits,
                                      const int64_t *targets, int64_t ignore_index,
                                      double smoothing, AC_T *grad_out, ptrdiff_t *bad_row)
{
    ptrdiff_t count = 0;
    *bad_row = -1;
    for (ptrdiff_t r = 0; r < rows; r++) {
        int64_t t = targets[r];
        if (t == ignore_index) continue;
        if (t < 0 || t >= cols) {
            *bad_row = r;
            return NAN;
        }
        count++;
    }
    const AC_T scale = (AC_T)(1.0 / (double)(count > 0 ? count : 1));
    const AC_T spread = (AC_T)(smoothing / (double)cols);
    const AC_T hit = (AC_T)(1.0 - smoothing);
    double loss = 0;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const AC_T *row = logits + r * cols;
        AC_T *dst = grad_out + r * cols;
        int64_t t = targets[r];
        if (t == ignore_index || cols == 0) {
            for (ptrdiff_t j = 0; j < cols; j++) dst[j] = 0;
            continue;
        }
        AC_T m = AC_FN(ac_row_max)(row, cols);
        AC_T total = 0, shifted_total = 0;
        AC_SIMD_SUM(total)
        for (ptrdiff_t j = 0; j < cols; j++) {
            AC_T e = AC_EXP(row[j] - m);
            dst[j] = e;
            total += e;
        }
        AC_T log_total = AC_LOG(total);
        AC_T item = log_total - (row[t] - m);
        if (smoothing != 0) {
            AC_SIMD_SUM(shifted_total)
            for (ptrdiff_t j = 0; j < cols; j++) shifted_total += row[j] - m;
            AC_T mean_log_prob = shifted_total / (AC_T)cols - log_total;
            item = item * hit - mean_log_prob * (AC_T)smoothing;
        }
        loss += (double)item;
        AC_SIMD
        for (ptrdiff_t j = 0; j < cols; j++) dst[j] = (dst[j] / total - spread) * scale;
        dst[t] -= hit * scale;
    }
    return count > 0 ? loss / (double)count : NAN;
}

/* ------------------------------------------------------------------------------ Adam */

/* One Adam (decoupled = 0) or AdamW (decoupled = 1) step of one parameter, as torch.optim's
 * single-tensor implementation: m += (1 - beta1)(g - m); v = beta2 v + (1 - beta2) g^2;
 * p += step_factor m / (sqrt(v) / correction + eps). */
AC_KERNEL void AC_FN(ac_adam_update)(ptrdiff_t n, AC_T *param, const AC_T *grad, AC_T *exp_avg,
                                  AC_T *exp_avg_sq, double lr, double beta1, double beta2,
                                  double eps, double weight_decay, int decoupled,
                                  double step_factor, double correction)
{
    const AC_T first_weight = (AC_T)(1.0 - beta1), second_weight = (AC_T)(1.0 - beta2);
    const AC_T b2 = (AC_T)beta2, e = (AC_T)eps, factor = (AC_T)step_factor;
    const AC_T corr = (AC_T)correction;
    const AC_T decay = (AC_T)weight_decay, shrink = (AC_T)(1.0 - lr * weight_decay);
    const int shrink_param = decoupled && weight_decay != 0;
    const int add_decay = !decoupled && weight_decay != 0;
    AC_SIMD
    for (ptrdiff_t i = 0; i < n; i++) {
        AC_T p = param[i], g = grad[i];
        if (shrink_param) p = p * shrink;
        if (add_decay) g = p * decay + g;
        AC_T m = exp_avg[i] + (g - exp_avg[i]) * first_weight;
        AC_T v = exp_avg_sq[i] * b2 + g * second_weight * g;
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
        param[i] = p + m * factor / (AC_SQRT(v) / corr + e);
    }
}

#undef AC_T
#undef AC_FN
#undef AC_EXP
#undef AC_LOG
#undef AC_ERF
#undef AC_SQRT
#undef AC_EXP_CAP
