/* Cell bodies, included by cells.h once per element type: ACR_R is the type, ACR_FN(name)
 * appends the type's suffix. No include guard on purpose. Every pointer is valid (a zero state
 * is an array of zeros): the loops have no branches, so that they vectorize. */

static inline ACR_R ACR_FN(acr_sigmoid)(ACR_R x)
{
    return (ACR_R)1 / ((ACR_R)1 + ACR_EXP(-x));
}

/* `x < limit ? yes : no` on the bits: GCC turns a `?:` in a loop that also calls exp into a
 * branch, which stops the vectorizer, and SSE2 cannot widen a comparison to a 64-bit mask; the
 * sign bit of x - limit gives the mask with plain shifts (NaN x counts as not below). */
static inline ACR_R ACR_FN(acr_select_below)(ACR_R x, ACR_R limit, ACR_R yes, ACR_R no)
{
    ACR_R difference = x - limit;
    ACR_UINT sign, yes_bits, no_bits, mask, bits;
    ACR_R out;
    memcpy(&sign, &difference, sizeof sign);
    memcpy(&yes_bits, &yes, sizeof yes);
    memcpy(&no_bits, &no, sizeof no);
    mask = (ACR_UINT)0 - (sign >> (8 * sizeof(ACR_UINT) - 1));
    bits = (yes_bits & mask) | (no_bits & ~mask);
    memcpy(&out, &bits, sizeof out);
    return out;
}

/* Odd: the series near 0, (1 - e) / (1 + e) with e = exp(-2|x|) elsewhere; NaN stays NaN. */
static inline ACR_R ACR_FN(acr_tanh)(ACR_R x)
{
    ACR_R a = ACR_FABS(x);
    ACR_R z = a * a;
    ACR_R e = ACR_EXP(-2 * a);
    ACR_R series = ACR_TANH_SERIES(a, z);
    ACR_R far = ((ACR_R)1 - e) / ((ACR_R)1 + e);
    return ACR_COPYSIGN(ACR_FN(acr_select_below)(a, ACR_TANH_SERIES_LIMIT, series, far), x);
}

/* tanh of a whole array (the elementwise reference of the series and exp forms above). */
AC_KERNEL void ACR_FN(acr_tanh_array)(ptrdiff_t n, const ACR_R *x, ACR_R *out)
{
    AC_SIMD
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = ACR_FN(acr_tanh)(x[i]);
}

AC_KERNEL void ACR_FN(acr_sigmoid_array)(ptrdiff_t n, const ACR_R *x, ACR_R *out)
{
    AC_SIMD
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = ACR_FN(acr_sigmoid)(x[i]);
}

/* ------------------------------------------------------------------------------ RNN */

/* h = act(xw + hw), act tanh (relu = 0) or relu (relu = 1); xw holds both biases. */
AC_KERNEL void ACR_FN(acr_rnn_forward)(ptrdiff_t rows, ptrdiff_t size, int relu, const ACR_R *xw,
                                    const ACR_R *hw, ACR_R *h)
{
    ptrdiff_t n = rows * size;
    if (relu) {
        AC_SIMD
        for (ptrdiff_t i = 0; i < n; i++) {
            ACR_R v = xw[i] + hw[i];
            h[i] = v < 0 ? (ACR_R)0 : v; /* NaN passes */
        }
    } else {
        AC_SIMD
        for (ptrdiff_t i = 0; i < n; i++)
            h[i] = ACR_FN(acr_tanh)(xw[i] + hw[i]);
    }
}

/* grad of the pre-activation, from the step's output grad plus the recurrent grad dh_next. */
AC_KERNEL void ACR_FN(acr_rnn_backward)(ptrdiff_t rows, ptrdiff_t size, int relu, const ACR_R *h,
                                     const ACR_R *grad, const ACR_R *dh_next, ACR_R *dpre)
{
    ptrdiff_t n = rows * size;
    if (relu) {
        AC_SIMD
        for (ptrdiff_t i = 0; i < n; i++) {
            ACR_R d = grad[i] + dh_next[i];
            dpre[i] = h[i] > 0 ? d : (ACR_R)0;
        }
    } else {
        AC_SIMD
        for (ptrdiff_t i = 0; i < n; i++)
            dpre[i] = (grad[i] + dh_next[i]) * ((ACR_R)1 - h[i] * h[i]);
    }
}

/* ------------------------------------------------------------------------------ LSTM */

/* gates (rows, 4 size): pre-activations xw + hw in, activations [i f g o] out (saved for
 * backward); c = f c_prev + i g, tanh_c = tanh(c), h = o tanh_c. */
AC_KERNEL void ACR_FN(acr_lstm_forward)(ptrdiff_t rows, ptrdiff_t size, const ACR_R *xw,
                                     const ACR_R *hw, const ACR_R *c_prev, ACR_R *gates,
                                     ACR_R *c, ACR_R *tanh_c, ACR_R *h)
{
    for (ptrdiff_t b = 0; b < rows; b++) {
        const ACR_R *x_row = xw + b * 4 * size;
        const ACR_R *h_row = hw + b * 4 * size;
        const ACR_R *c_in = c_prev + b * size;
        ACR_R *g_row = gates + b * 4 * size;
        ACR_R *c_row = c + b * size;
        ACR_R *t_row = tanh_c + b * size;
        ACR_R *out = h + b * size;
        AC_SIMD
        for (ptrdiff_t j = 0; j < size; j++) {
            ACR_R i = ACR_FN(acr_sigmoid)(x_row[j] + h_row[j]);
            ACR_R f = ACR_FN(acr_sigmoid)(x_row[size + j] + h_row[size + j]);
            ACR_R g = ACR_FN(acr_tanh)(x_row[2 * size + j] + h_row[2 * size + j]);
            ACR_R o = ACR_FN(acr_sigmoid)(x_row[3 * size + j] + h_row[3 * size + j]);
            ACR_R cell = f * c_in[j] + i * g;
            ACR_R tc = ACR_FN(acr_tanh)(cell);
            g_row[j] = i;
            g_row[size + j] = f;
            g_row[2 * size + j] = g;
            g_row[3 * size + j] = o;
            c_row[j] = cell;
            t_row[j] = tc;
            out[j] = o * tc;
        }
    }
}

/* One step back: dh = grad + dh_next; dc (in: from the later step, out: to the earlier one);
 * dgates (rows, 4 size) = gradients of the gate pre-activations. */
AC_KERNEL void ACR_FN(acr_lstm_backward)(ptrdiff_t rows, ptrdiff_t size, const ACR_R *gates,
                                      const ACR_R *c_prev, const ACR_R *tanh_c, const ACR_R *grad,
                                      const ACR_R *dh_next, ACR_R *dc, ACR_R *dgates)
{
    for (ptrdiff_t b = 0; b < rows; b++) {
        const ACR_R *g_row = gates + b * 4 * size;
        const ACR_R *c_in = c_prev + b * size;
        const ACR_R *t_row = tanh_c + b * size;
        const ACR_R *grad_row = grad + b * size;
        const ACR_R *next_row = dh_next + b * size;
        ACR_R *dc_row = dc + b * size;
        ACR_R *d_row = dgates + b * 4 * size;
        AC_SIMD
        for (ptrdiff_t j = 0; j < size; j++) {
            ACR_R i = g_row[j], f = g_row[size + j], g = g_row[2 * size + j];
            ACR_R o = g_row[3 * size + j], tc = t_row[j];
            ACR_R dh = grad_row[j] + next_row[j];
            ACR_R dcell = dc_row[j] + dh * o * ((ACR_R)1 - tc * tc);
            d_row[j] = dcell * g * i * ((ACR_R)1 - i);
            d_row[size + j] = dcell * c_in[j] * f * ((ACR_R)1 - f);
            d_row[2 * size + j] = dcell * i * ((ACR_R)1 - g * g);
            d_row[3 * size + j] = dh * tc * o * ((ACR_R)1 - o);
            dc_row[j] = dcell * f;
        }
    }
}

/* ------------------------------------------------------------------------------ GRU */

/* xw (rows, 3 size) = x w_ih^T + b_ih, plus b_hh in the reset and update blocks; hw = h w_hh^T;
 * b_hn: the new-gate block of b_hh (zeros without bias). saved (rows, 4 size)
 * gets [r z n hn] with hn = h w_hn^T + b_hn; h = n + z (h_prev - n). */
AC_KERNEL void ACR_FN(acr_gru_forward)(ptrdiff_t rows, ptrdiff_t size, const ACR_R *xw,
                                    const ACR_R *hw, const ACR_R *b_hn, const ACR_R *h_prev,
                                    ACR_R *saved, ACR_R *h)
{
    for (ptrdiff_t b = 0; b < rows; b++) {
        const ACR_R *x_row = xw + b * 3 * size;
        const ACR_R *h_row = hw + b * 3 * size;
        const ACR_R *h_in = h_prev + b * size;
        ACR_R *s_row = saved + b * 4 * size;
        ACR_R *out = h + b * size;
        AC_SIMD
        for (ptrdiff_t j = 0; j < size; j++) {
            ACR_R r = ACR_FN(acr_sigmoid)(x_row[j] + h_row[j]);
            ACR_R z = ACR_FN(acr_sigmoid)(x_row[size + j] + h_row[size + j]);
            ACR_R hn = h_row[2 * size + j] + b_hn[j];
            ACR_R n = ACR_FN(acr_tanh)(x_row[2 * size + j] + r * hn);
            ACR_R hp = h_in[j];
            s_row[j] = r;
            s_row[size + j] = z;
            s_row[2 * size + j] = n;
            s_row[3 * size + j] = hn;
            out[j] = n + z * (hp - n);
        }
    }
}

/* One step back: dh = grad + dh_next + carry, where carry (in and out) is the part of the
 * gradient that reaches h_prev directly through z h_prev. dxw and dhw (rows, 3 size) are the
 * gradients of the input and hidden projections. */
AC_KERNEL void ACR_FN(acr_gru_backward)(ptrdiff_t rows, ptrdiff_t size, const ACR_R *saved,
                                     const ACR_R *h_prev, const ACR_R *grad, const ACR_R *dh_next,
                                     ACR_R *carry, ACR_R *dxw, ACR_R *dhw)
{
    for (ptrdiff_t b = 0; b < rows; b++) {
        const ACR_R *s_row = saved + b * 4 * size;
        const ACR_R *h_in = h_prev + b * size;
        const ACR_R *grad_row = grad + b * size;
        const ACR_R *next_row = dh_next + b * size;
        ACR_R *carry_row = carry + b * size;
        ACR_R *dx_row = dxw + b * 3 * size;
        ACR_R *dh_row = dhw + b * 3 * size;
        AC_SIMD
        for (ptrdiff_t j = 0; j < size; j++) {
            ACR_R r = s_row[j], z = s_row[size + j], n = s_row[2 * size + j];
            ACR_R hn = s_row[3 * size + j];
            ACR_R hp = h_in[j];
            ACR_R dh = grad_row[j] + carry_row[j] + next_row[j];
            ACR_R dn = dh * ((ACR_R)1 - z) * ((ACR_R)1 - n * n);
            ACR_R dz = dh * (hp - n) * z * ((ACR_R)1 - z);
            ACR_R dr = dn * hn * r * ((ACR_R)1 - r);
            dx_row[j] = dr;
            dx_row[size + j] = dz;
            dx_row[2 * size + j] = dn;
            dh_row[j] = dr;
            dh_row[size + j] = dz;
            dh_row[2 * size + j] = dn * r;
            carry_row[j] = dh * z;
        }
    }
}
