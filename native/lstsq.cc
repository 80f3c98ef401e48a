#include "lstsq.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "blas.h"
#include "somp.h"

namespace thin {

void coefficients_from_factor(std::vector<double>& factor, size_t n, const std::vector<int32_t>& selected) {
  const size_t k = selected.size();
  // Picks with a zero pivot lie in the span of earlier picks: they get no coefficient.
  std::vector<size_t> independent;
  for (size_t t = 0; t < k; ++t)
    if (factor[size_t(selected[t]) * k + t] > 0.0) independent.push_back(t);
  const size_t r = independent.size();
  std::vector<double> pivots(r * r);
  for (size_t a = 0; a < r; ++a)
    for (size_t b = 0; b < r; ++b) pivots[a * r + b] = factor[size_t(selected[independent[a]]) * k + independent[b]];
  std::vector<double> row(r);
  for (size_t i = 0; i < n; ++i) {  // gather the independent columns to the front
    double* fi = &factor[i * k];
    for (size_t b = 0; b < r; ++b) row[b] = fi[independent[b]];
    std::copy(row.begin(), row.end(), fi);
  }
  if (r > 0) blas::trsm_right_lower(n, r, pivots.data(), r, factor.data(), k);
  for (size_t i = 0; i < n; ++i) {  // and scatter them back, zeros elsewhere
    double* fi = &factor[i * k];
    std::copy(fi, fi + r, row.begin());
    std::fill(fi, fi + k, 0.0);
    for (size_t b = 0; b < r; ++b) fi[independent[b]] = row[b];
  }
  // A kept row is reproduced by itself: make that exact rather than a rounded solve.
  for (size_t t = 0; t < k; ++t) {
    double* fs = &factor[size_t(selected[t]) * k];
    std::fill(fs, fs + k, 0.0);
    fs[t] = 1.0;
  }
}

std::vector<double> least_squares_coefficients(const float* w, size_t n, size_t m,
                                               const std::vector<int32_t>& selected) {
  const size_t k = selected.size();
  if (k == 0 || k > n) throw std::invalid_argument("selected must hold between 1 and n = " + std::to_string(n) + " rows");
  std::vector<bool> seen(n, false);
  for (int32_t s : selected) {
    if (s < 0 || size_t(s) >= n) throw std::invalid_argument("selected row " + std::to_string(s) + " is outside 0.." + std::to_string(n - 1));
    if (seen[size_t(s)]) throw std::invalid_argument("selected row " + std::to_string(s) + " appears twice");
    seen[size_t(s)] = true;
  }
  // G[:, S] = W·W[S]ᵀ, accumulated over column panels widened to double.
  constexpr size_t kPanel = 256;
  const size_t width = std::min(m, kPanel);
  std::vector<double> factor(n * k, 0.0), panel(n * width), chosen(k * width);
  double trace = 0.0;
  for (size_t c0 = 0; c0 < m; c0 += width) {
    const size_t cols = std::min(width, m - c0);
    for (size_t i = 0; i < n; ++i)
      for (size_t c = 0; c < cols; ++c) {
        const double v = w[i * m + c0 + c];
        panel[i * cols + c] = v;
        trace += v * v;
      }
    for (size_t t = 0; t < k; ++t)
      std::copy_n(&panel[size_t(selected[t]) * cols], cols, &chosen[t * cols]);
    blas::gemm(false, true, n, k, cols, 1.0, panel.data(), cols, chosen.data(), cols, 1.0, factor.data(), k);
  }
  // Left-looking Cholesky turns G[:, S] into the factor in place: column t only needs the
  // finished columns before it. The selected rows are taken largest residual first (pivoted,
  // rank-revealing) rather than in the order given: when they are rank-deficient many α are
  // exact, and a near-dependent basis makes its coefficients large (33 instead of ≤ 1 on the
  // MNIST CNN's 32×9 first layer), which folds badly through a nonlinearity.
  std::vector<size_t> col_of(k);  // factor column t holds the caller's column col_of[t]
  std::vector<double> residual(k);
  for (size_t c = 0; c < k; ++c) col_of[c] = c, residual[c] = factor[size_t(selected[c]) * k + c];
  const auto row_at = [&](size_t t) { return size_t(selected[col_of[t]]); };
  for (size_t t = 0; t < k; ++t) {
    size_t pick = t;
    for (size_t c = t + 1; c < k; ++c)
      if (residual[c] > residual[pick]) pick = c;
    if (pick != t) {
      for (size_t i = 0; i < n; ++i) std::swap(factor[i * k + t], factor[i * k + pick]);
      std::swap(residual[t], residual[pick]);
      std::swap(col_of[t], col_of[pick]);
    }
    const std::vector<double> prior(&factor[row_at(t) * k], &factor[row_at(t) * k] + t);
    for (size_t i = 0; i < n; ++i) {
      double* fi = &factor[i * k];
      double v = fi[t];
      for (size_t u = 0; u < t; ++u) v -= fi[u] * prior[u];
      fi[t] = v;
    }
    const double pivot = factor[row_at(t) * k + t];
    const double scale = pivot > kBreakdownTolerance * trace ? 1.0 / std::sqrt(pivot) : 0.0;
    for (size_t i = 0; i < n; ++i) factor[i * k + t] *= scale;
    for (size_t c = t + 1; c < k; ++c) {
      const double l = factor[row_at(c) * k + t];
      residual[c] -= l * l;
    }
  }
  std::vector<int32_t> pivot_order(k);
  for (size_t t = 0; t < k; ++t) pivot_order[t] = int32_t(row_at(t));
  coefficients_from_factor(factor, n, pivot_order);
  // Back to the caller's column order.
  std::vector<double> row(k);
  for (size_t i = 0; i < n; ++i) {
    double* fi = &factor[i * k];
    for (size_t t = 0; t < k; ++t) row[col_of[t]] = fi[t];
    std::copy(row.begin(), row.end(), fi);
  }
  return factor;
}

}  // namespace thin
