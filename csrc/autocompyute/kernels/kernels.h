/* Fused CPU kernels of autocompyute, instantiated for float (suffix _f) and double (_d).
 *
 * Each kernel is one (or, where a row statistic is needed first, two) passes over memory. The
 * formulas follow the NumPy reference implementations in the Python package operation for
 * operation, so NaN and Inf propagate the same way; the build must not use -ffast-math.
 * Comparisons that clamp are written `v > cap ? cap : v` so that NaN passes through.
 */
#ifndef AUTOCOMPYUTE_KERNELS_H
#define AUTOCOMPYUTE_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Vector math declarations, AC_KERNEL (load-time dispatch) and the AC_SIMD pragmas. */
#include "../vector_math.h"

#define AC_GELU_SCALE 0.7978845608028654 /* sqrt(2 / pi) */
#define AC_GELU_CUBIC 0.044715
#define AC_INV_SQRT_2PI 0.3989422804014327

#define AC_T float
#define AC_FN(name) name##_f
#define AC_EXP expf
#define AC_LOG logf
#define AC_ERF erff
#define AC_SQRT sqrtf
#define AC_EXP_CAP 80.0f
#include "kernels_impl.h"

#define AC_T double
#define AC_FN(name) name##_d
#define AC_EXP exp
#define AC_LOG log
#define AC_ERF erf
#define AC_SQRT sqrt
#define AC_EXP_CAP 80.0
#include "kernels_impl.h"

#endif
