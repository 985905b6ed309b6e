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

/* glibc's libmvec has vector versions of exp, log and erf, but math.h declares them only under
 * -ffast-math. CMake defines AUTOCOMPYUTE_LIBMVEC where it found libmvec (GCC on x86-64 glibc);
 * these declarations then let the vectorizer call them. They are accurate to a few ulp and
 * handle NaN and Inf like the scalar functions. */
#if defined(AUTOCOMPYUTE_LIBMVEC)
#define AC_VECTOR_MATH __attribute__((simd("notinbranch")))
AC_VECTOR_MATH double exp(double);
AC_VECTOR_MATH float expf(float);
AC_VECTOR_MATH double log(double);
AC_VECTOR_MATH float logf(float);
#if __GLIBC_PREREQ(2, 35)
AC_VECTOR_MATH double erf(double);
AC_VECTOR_MATH float erff(float);
#endif
#endif

/* Where GCC can dispatch at load time (ifunc, x86-64 Linux), each kernel is also compiled for
 * AVX2 (and the vector math calls then take 8 floats at once); other builds keep one baseline
 * version. */
#if defined(AUTOCOMPYUTE_TARGET_CLONES)
#define AC_KERNEL __attribute__((target_clones("avx2", "default"))) static
#else
#define AC_KERNEL static
#endif

/* Loops that reduce need permission to reorder the sum before they vectorize. */
#if defined(AUTOCOMPYUTE_OPENMP_SIMD)
#define AC_PRAGMA(text) _Pragma(#text)
#define AC_SIMD_SUM(var) AC_PRAGMA(omp simd reduction(+:var))
#define AC_SIMD_SUM2(a, b) AC_PRAGMA(omp simd reduction(+:a, b))
#define AC_SIMD _Pragma("omp simd")
#else
#define AC_SIMD_SUM(var)
#define AC_SIMD_SUM2(a, b)
#define AC_SIMD
#endif

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
