// The one seam between onnx-thin's math and a BLAS library.
// With ONNX_THIN_HAVE_CBLAS these forward to CBLAS (OpenBLAS); otherwise blas.cc holds
// portable kernels, slower but exact to the same formulas, so an install never fails.
// All matrices are row-major doubles. Only the calls the math needs are here.
#pragma once
#include <cstddef>

namespace thin::blas {

// "openblas" or "portable": what this build was linked with.
const char* backend();

// C(n×n, upper triangle) += alpha·A·Aᵀ when a_is_rows_by_k (A is n×k),
// or += alpha·Aᵀ·A when not (A is k×n). The lower triangle of C is not touched.
void syrk_upper(bool a_is_rows_by_k, size_t n, size_t k, double alpha, const double* a, size_t lda,
                double* c, size_t ldc);

// C(M×N) = alpha·op(A)·op(B) + beta·C, op = transpose when the flag is set.
void gemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, double alpha,
          const double* a, size_t lda, const double* b, size_t ldb, double beta, double* c,
          size_t ldc);

// y = A·x for a symmetric n×n A stored in its upper triangle.
void symv_upper(size_t n, const double* a, size_t lda, const double* x, double* y);

// A(upper) += alpha·(x·yᵀ + y·xᵀ) for a symmetric n×n A stored in its upper triangle.
void syr2_upper(size_t n, double alpha, const double* x, const double* y, double* a, size_t lda);

// Solves X·L = B in place of B (n×k), L lower triangular k×k with a non-zero diagonal.
void trsm_right_lower(size_t n, size_t k, const double* l, size_t ldl, double* b, size_t ldb);

}  // namespace thin::blas

namespace thin::blas {
// Times an n×n×n dgemm on this backend and returns GFLOP/s, so benchmarks can put
// their own rates next to what the machine's BLAS reaches in the same run.
double measure_gemm_gflops(size_t n, int repeats);
}  // namespace thin::blas
