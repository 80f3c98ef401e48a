#include "activation_gram.h"

#include <algorithm>
#include <vector>

#include "blas.h"
#include "gram.h"

namespace thin {

size_t accumulate_gram(const float* data, const ChannelView& view, size_t max_positions, double* gram, double* sums) {
  const size_t positions = view.block * view.inner;
  const size_t step = std::max<size_t>(1, (positions + max_positions - 1) / std::max<size_t>(1, max_positions));
  const size_t taken = (positions + step - 1) / step;
  const size_t c = view.channels;
  // Samples go into a C×P panel; one dsyrk per panel keeps the update at BLAS speed.
  constexpr size_t kPanel = 512;
  std::vector<double> panel(c * kPanel);
  std::vector<double> upper(c * c, 0.0);
  size_t filled = 0, samples = 0;
  auto flush = [&] {
    if (filled == 0) return;
    blas::syrk_upper(true, c, filled, 1.0, panel.data(), kPanel, upper.data(), c);
    samples += filled;
    filled = 0;
  };
  for (size_t o = 0; o < view.outer; ++o) {
    const float* slab = data + o * view.axis_length * view.inner;
    for (size_t q = 0; q < taken; ++q) {
      const size_t position = q * step, b = position / view.inner, p = position % view.inner;
      for (size_t ch = 0; ch < c; ++ch) {
        const double v = slab[(view.offset + ch * view.block + b) * view.inner + p];
        panel[ch * kPanel + filled] = v;
        sums[ch] += v;
      }
      if (++filled == kPanel) flush();
    }
  }
  flush();
  mirror_upper(upper.data(), c);
  for (size_t i = 0; i < c * c; ++i) gram[i] += upper[i];
  return samples;
}

void mix_rows(const double* alpha, size_t n, size_t k, const float* x, size_t cols, float* out) {
  // Column panels of x widened to double: memory stays n·panel, not n·cols.
  constexpr size_t kPanel = 1024;
  std::vector<double> xs(n * std::min(cols, kPanel)), ys(k * std::min(cols, kPanel));
  for (size_t c0 = 0; c0 < cols; c0 += kPanel) {
    const size_t w = std::min(kPanel, cols - c0);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < w; ++j) xs[i * w + j] = x[i * cols + c0 + j];
    blas::gemm(true, false, k, w, n, 1.0, alpha, k, xs.data(), w, 0.0, ys.data(), w);
    for (size_t t = 0; t < k; ++t)
      for (size_t j = 0; j < w; ++j) out[t * cols + c0 + j] = float(ys[t * w + j]);
  }
}

}  // namespace thin
