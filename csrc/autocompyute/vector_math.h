/* What the compiled numeric loops (kernels/ and recurrent/) share: vector math declarations,
 * load-time CPU dispatch and the SIMD pragmas. CMake defines the AUTOCOMPYUTE_* switches (see
 * autocompyute_numeric_module in CMakeLists.txt); without them everything is portable C.
 */
#ifndef AUTOCOMPYUTE_VECTOR_MATH_H
#define AUTOCOMPYUTE_VECTOR_MATH_H

#include <math.h>

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

#endif
