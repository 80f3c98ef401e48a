#include "blas.h"

#include <algorithm>
#include <vector>

#ifdef ONNX_THIN_HAVE_CBLAS
#include <cblas.h>
#endif

#ifndef ONNX_THIN_BLAS_BACKEND
#define ONNX_THIN_BLAS_BACKEND "portable"
#endif

namespace thin::blas {

const char* backend() { return ONNX_THIN_BLAS_BACKEND; }

#ifdef ONNX_THIN_HAVE_CBLAS

void syrk_upper(bool a_is_rows_by_k, size_t n, size_t k, double alpha, const double* a, size_t lda,
                double* c, size_t ldc) {
  cblas_dsyrk(CblasRowMajor, CblasUpper, a_is_rows_by_k ? CblasNoTrans : CblasTrans, int(n),
              int(k), alpha, a, int(lda), 1.0, c, int(ldc));
}

void gemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, double alpha,
          const double* a, size_t lda, const double* b, size_t ldb, double beta, double* c,
          size_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, int(M), int(N), int(K), alpha, a, int(lda), b,
              int(ldb), beta, c, int(ldc));
}

void symv_upper(size_t n, const double* a, size_t lda, const double* x, double* y) {
  cblas_dsymv(CblasRowMajor, CblasUpper, int(n), 1.0, a, int(lda), x, 1, 0.0, y, 1);
}

void syr2_upper(size_t n, double alpha, const double* x, const double* y, double* a,
                size_t lda) {
  cblas_dsyr2(CblasRowMajor, CblasUpper, int(n), alpha, x, 1, y, 1, a, int(lda));
}

void trsm_right_lower(size_t n, size_t k, const double* l, size_t ldl, double* b, size_t ldb) {
  cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, int(n), int(k),
              1.0, l, int(ldl), b, int(ldb));
}

#else  // portable kernels

namespace {
// Four independent partial sums let the compiler keep the loop in vector registers
// without -ffast-math; the summation order is fixed, so results are reproducible.
double dot(const double* x, const double* y, size_t len) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    s0 += x[i] * y[i];
    s1 += x[i + 1] * y[i + 1];
    s2 += x[i + 2] * y[i + 2];
    s3 += x[i + 3] * y[i + 3];
  }
  for (; i < len; ++i) s0 += x[i] * y[i];
  return (s0 + s1) + (s2 + s3);
}

void axpy(double alpha, const double* x, double* y, size_t len) {
  for (size_t i = 0; i < len; ++i) y[i] += alpha * x[i];
}

constexpr size_t kTile = 64;
}  // namespace

void syrk_upper(bool a_is_rows_by_k, size_t n, size_t k, double alpha, const double* a, size_t lda,
                double* c, size_t ldc) {
  if (a_is_rows_by_k) {
    // C[i][j] += <row i, row j>, tiled so both row blocks stay in cache.
    for (size_t ib = 0; ib < n; ib += kTile)
      for (size_t jb = ib; jb < n; jb += kTile)
        for (size_t i = ib; i < std::min(n, ib + kTile); ++i)
          for (size_t j = std::max(i, jb); j < std::min(n, jb + kTile); ++j)
            c[i * ldc + j] += alpha * dot(a + i * lda, a + j * lda, k);
  } else {
    // C += Σ_r a_rᵀ a_r: one outer product per row of A, contiguous in j.
    for (size_t ib = 0; ib < n; ib += kTile)
      for (size_t r = 0; r < k; ++r) {
        const double* row = a + r * lda;
        for (size_t i = ib; i < std::min(n, ib + kTile); ++i)
          if (row[i] != 0.0) axpy(alpha * row[i], row + i, c + i * ldc + i, n - i);
      }
  }
}

void gemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, double alpha,
          const double* a, size_t lda, const double* b, size_t ldb, double beta, double* c,
          size_t ldc) {
  // Bring both operands to the layout where the inner loop is contiguous: rows of op(A)
  // and columns of op(B) as rows, then one dot product per entry.
  std::vector<double> at, bt;
  const double* arows = a;
  size_t ald = lda;
  if (trans_a) {
    at.resize(M * K);
    for (size_t i = 0; i < K; ++i)
      for (size_t j = 0; j < M; ++j) at[j * K + i] = a[i * lda + j];
    arows = at.data();
    ald = K;
  }
  const double* bcols = b;
  size_t bld = ldb;
  if (!trans_b) {
    bt.resize(N * K);
    for (size_t i = 0; i < K; ++i)
      for (size_t j = 0; j < N; ++j) bt[j * K + i] = b[i * ldb + j];
    bcols = bt.data();
    bld = K;
  }
  for (size_t i = 0; i < M; ++i)
    for (size_t j = 0; j < N; ++j) {
      double prior = beta == 0.0 ? 0.0 : beta * c[i * ldc + j];
      c[i * ldc + j] = prior + alpha * dot(arows + i * ald, bcols + j * bld, K);
    }
}

void symv_upper(size_t n, const double* a, size_t lda, const double* x, double* y) {
  std::fill(y, y + n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const double* row = a + i * lda;
    // Row i holds A[i][i..n): it serves y[i] directly and y[j>i] by symmetry.
    y[i] += dot(row + i, x + i, n - i);
    axpy(x[i], row + i + 1, y + i + 1, n - i - 1);
  }
}

void syr2_upper(size_t n, double alpha, const double* x, const double* y, double* a,
                size_t lda) {
  for (size_t i = 0; i < n; ++i) {
    double* row = a + i * lda;
    for (size_t j = i; j < n; ++j) row[j] += alpha * (x[i] * y[j] + y[i] * x[j]);
  }
}

void trsm_right_lower(size_t n, size_t k, const double* l, size_t ldl, double* b, size_t ldb) {
  // X·L = B, L lower: the last column of X depends on nothing after it, so go backwards.
  for (size_t r = 0; r < n; ++r) {
    double* row = b + r * ldb;
    for (size_t c = k; c-- > 0;) {
      double s = row[c];
      for (size_t t = c + 1; t < k; ++t) s -= row[t] * l[t * ldl + c];
      row[c] = s / l[c * ldl + c];
    }
  }
}

#endif

}  // namespace thin::blas

#include <chrono>

namespace thin::blas {
double measure_gemm_gflops(size_t n, int repeats) {
  std::vector<double> a(n * n), b(n * n), c(n * n, 0.0);
  for (size_t i = 0; i < n * n; ++i) {
    a[i] = double((i * 7919) % 1000) / 1000.0 - 0.5;
    b[i] = double((i * 104729) % 1000) / 1000.0 - 0.5;
  }
  gemm(false, false, n, n, n, 1.0, a.data(), n, b.data(), n, 0.0, c.data(), n);  // warm-up
  auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < repeats; ++r)
    gemm(false, false, n, n, n, 1.0, a.data(), n, b.data(), n, 0.0, c.data(), n);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return 2.0 * double(n) * double(n) * double(n) * repeats / seconds / 1e9;
}
}  // namespace thin::blas
