/* Cell math of the whole-sequence RNN, LSTM and GRU ops, for float (suffix _f) and double (_d).
 *
 * One call handles one time step of a whole batch: `rows` batch rows of `size` hidden units,
 * every array C-contiguous and row-major. Gate blocks follow PyTorch's order (LSTM: input,
 * forget, cell, output; GRU: reset, update, new). The hidden-state matrix products happen
 * outside, in NumPy's BLAS; these loops do everything elementwise around them in one pass.
 *
 * sigmoid and tanh are built from exp alone, so that the loops vectorize wherever exp does
 * (glibc's libmvec, see vector_math.h) and stay portable scalar code elsewhere. The build must
 * not use -ffast-math: NaN and Inf pass through as in NumPy.
 */
#ifndef AUTOCOMPYUTE_RECURRENT_CELLS_H
#define AUTOCOMPYUTE_RECURRENT_CELLS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Vector math declarations, AC_KERNEL (load-time dispatch) and the AC_SIMD pragma. */
#include "../vector_math.h"

#define ACR_R float
#define ACR_UINT uint32_t
#define ACR_FN(name) name##_f
#define ACR_EXP expf
#define ACR_FABS fabsf
#define ACR_COPYSIGN copysignf
/* Below this |x|, tanh's Taylor series (to x^13) is exact to float rounding; above it, the
 * exp form has no cancellation worth a rounding step. */
#define ACR_TANH_SERIES_LIMIT 0.4f
#define ACR_TANH_SERIES(x, z) \
    ((x) + (x) * (z) * (-3.333333333e-01f + (z) * (1.333333333e-01f + (z) * (-5.396825397e-02f \
    + (z) * (2.186948854e-02f + (z) * (-8.863235530e-03f + (z) * (3.592128037e-03f)))))))
#include "cells_impl.h"
#undef ACR_R
#undef ACR_UINT
#undef ACR_FN
#undef ACR_EXP
#undef ACR_FABS
#undef ACR_COPYSIGN
#undef ACR_TANH_SERIES_LIMIT
#undef ACR_TANH_SERIES

#define ACR_R double
#define ACR_UINT uint64_t
#define ACR_FN(name) name##_d
#define ACR_EXP exp
#define ACR_FABS fabs
#define ACR_COPYSIGN copysign
/* The series to x^23 is exact to double rounding below 0.3. */
#define ACR_TANH_SERIES_LIMIT 0.3
#define ACR_TANH_SERIES(x, z) \
    ((x) + (x) * (z) * (-3.33333333333333315e-01 + (z) * (1.33333333333333331e-01 \
    + (z) * (-5.39682539682539708e-02 + (z) * (2.18694885361552030e-02 \
    + (z) * (-8.86323552990219733e-03 + (z) * (3.59212803657248114e-03 \
    + (z) * (-1.45583438705131833e-03 + (z) * (5.90027440945585947e-04 \
    + (z) * (-2.39129114243552478e-04 + (z) * (9.69153795692945095e-05 \
    + (z) * (-3.92783238833168327e-05))))))))))))
#include "cells_impl.h"
#undef ACR_R
#undef ACR_UINT
#undef ACR_FN
#undef ACR_EXP
#undef ACR_FABS
#undef ACR_COPYSIGN
#undef ACR_TANH_SERIES_LIMIT
#undef ACR_TANH_SERIES

#endif
