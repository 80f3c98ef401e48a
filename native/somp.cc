#include "somp.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <cstring>
#include <thread>

#include "blas.h"
#include "gram.h"
#include "lstsq.h"

namespace thin {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The pick rule shared by both forms: the largest score wins; every score within
// kTieTolerance of it is a tie, and a tie goes to the lowest original row index.
// Candidates with a negative score are ineligible. Returns npos when none is eligible.
constexpr size_t npos = std::numeric_limits<size_t>::max();
size_t pick_best(const std::vector<double>& score, const std::vector<int32_t>& row_of, size_t count) {
  double best = -1.0;
  for (size_t i = 0; i < count; ++i) best = std::max(best, score[i]);
  if (best < 0.0) return npos;
  const double floor = best * (1.0 - kTieTolerance);
  size_t chosen = npos;
  for (size_t i = 0; i < count; ++i)
    if (score[i] >= 0.0 && score[i] >= floor && (chosen == npos || row_of[i] < row_of[chosen])) chosen = i;
  return chosen;
}

// ---------------------------------------------------------------------------------------
// Row space: Γ = G − Σ d·dᵀ on the n×n Gram. Selected rows are swapped to the end, so the
// live state is the leading a×a block (a = n − t), stored in its upper triangle only.
// At these sizes a step is bound by memory traffic over that triangle, so:
//  - p = 1 needs every entry of the updated Γ each step: one fused pass reads and writes
//    the triangle once (rank-one update and column sums together);
//  - p = 2 only needs ‖Γ[:, j]‖², which downdates exactly as
//        ‖Γ'[:, j]‖² = ‖Γ[:, j]‖² − 2·d_j·(Γ·d)_j + d_j²·‖d‖²,
//    so Γ stays stale for a block of steps, with the pending d's in a panel D; a step
//    costs one read-only pass (Γ·d = Γ_stale·d − D·(Dᵀ·d)), and every kBlock steps one
//    dsyrk applies D and an exact pass refreshes the norms. Measured on 4096×25088,
//    k = 2048: selection 6.1 s with one fused read-write pass per step, 3.1 s this way.

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
// The hot loops of the package: one clone per instruction set, picked at load time, so
// a portable build still runs AVX2 code where the CPU has it.
#define THIN_HOT_LOOP __attribute__((target_clones("arch=haswell", "default")))
#else
#define THIN_HOT_LOOP
#endif

template <ScoreNorm P>
inline double norm_term(double x) {
  if constexpr (P == ScoreNorm::L2) return x * x;
  else return std::fabs(x);
}

// Each kernel handles rows [r0, r1) of the a×a upper triangle and adds per-column results
// into `out`, so two threads can take disjoint rows with separate outputs.

// Γ[i][j] −= d_i·d_j for j ≥ i, and each updated entry's p-norm term added to both of its
// columns (the matrix is symmetric).
template <ScoreNorm P>
THIN_HOT_LOOP void update_rows(double* gamma, size_t ld, size_t a, const double* d, size_t r0, size_t r1,
                               double* out) {
  for (size_t i = r0; i < r1; ++i) {
    double* row = gamma + i * ld;
    const double di = d[i];
    const double diag = row[i] - di * di;
    row[i] = diag;
    double a0 = norm_term<P>(diag), a1 = 0, a2 = 0, a3 = 0;
    size_t j = i + 1;
    for (; j + 4 <= a; j += 4) {
      const double x0 = row[j] - di * d[j], x1 = row[j + 1] - di * d[j + 1];
      const double x2 = row[j + 2] - di * d[j + 2], x3 = row[j + 3] - di * d[j + 3];
      row[j] = x0, row[j + 1] = x1, row[j + 2] = x2, row[j + 3] = x3;
      const double f0 = norm_term<P>(x0), f1 = norm_term<P>(x1);
      const double f2 = norm_term<P>(x2), f3 = norm_term<P>(x3);
      a0 += f0, a1 += f1, a2 += f2, a3 += f3;
      out[j] += f0, out[j + 1] += f1, out[j + 2] += f2, out[j + 3] += f3;
    }
    for (; j < a; ++j) {
      const double x = row[j] - di * d[j];
      row[j] = x;
      const double f = norm_term<P>(x);
      a0 += f;
      out[j] += f;
    }
    out[i] += (a0 + a1) + (a2 + a3);
  }
}

// The p-norm terms of every entry, read only.
template <ScoreNorm P>
THIN_HOT_LOOP void norm_rows(const double* gamma, size_t ld, size_t a, size_t r0, size_t r1, double* out) {
  for (size_t i = r0; i < r1; ++i) {
    const double* row = gamma + i * ld;
    double a0 = norm_term<P>(row[i]), a1 = 0, a2 = 0, a3 = 0;
    size_t j = i + 1;
    for (; j + 4 <= a; j += 4) {
      const double f0 = norm_term<P>(row[j]), f1 = norm_term<P>(row[j + 1]);
      const double f2 = norm_term<P>(row[j + 2]), f3 = norm_term<P>(row[j + 3]);
      a0 += f0, a1 += f1, a2 += f2, a3 += f3;
      out[j] += f0, out[j + 1] += f1, out[j + 2] += f2, out[j + 3] += f3;
    }
    for (; j < a; ++j) {
      const double f = norm_term<P>(row[j]);
      a0 += f;
      out[j] += f;
    }
    out[i] += (a0 + a1) + (a2 + a3);
  }
}

// Four doubles as one value: GCC lowers it to AVX2 in the avx2 clone and to SSE2 pairs in
// the default one, and the explicit lanes let the reductions vectorise without
// -ffast-math (each lane is a fixed partial sum, so results are reproducible per build).
typedef double Lanes __attribute__((vector_size(32)));
inline Lanes load_lanes(const double* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store_lanes(double* p, Lanes v) { std::memcpy(p, &v, sizeof v); }
inline double lane_sum(Lanes v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// out += Γ·x, read only. Four rows at a time, as BLAS symv kernels do: each out[j] and x[j]
// is then loaded once per four rows instead of once per row.
THIN_HOT_LOOP void symv_rows(const double* gamma, size_t ld, size_t a, const double* x, size_t r0, size_t r1,
                             double* out) {
  size_t i = r0;
  for (; i + 4 <= r1; i += 4) {
    const double* g[4] = {gamma + i * ld, gamma + (i + 1) * ld, gamma + (i + 2) * ld, gamma + (i + 3) * ld};
    double head[4] = {0, 0, 0, 0};
    for (size_t r = 0; r < 4; ++r)  // the 4×4 diagonal block
      for (size_t c = r; c < 4; ++c) {
        const double v = g[r][i + c];
        head[r] += v * x[i + c];
        if (c != r) out[i + c] += v * x[i + r];
      }
    const Lanes x0 = Lanes{} + x[i], x1 = Lanes{} + x[i + 1], x2 = Lanes{} + x[i + 2], x3 = Lanes{} + x[i + 3];
    Lanes s0{}, s1{}, s2{}, s3{};
    size_t j = i + 4;
    for (; j + 4 <= a; j += 4) {
      const Lanes v0 = load_lanes(g[0] + j), v1 = load_lanes(g[1] + j);
      const Lanes v2 = load_lanes(g[2] + j), v3 = load_lanes(g[3] + j);
      const Lanes xj = load_lanes(x + j);
      s0 += v0 * xj, s1 += v1 * xj, s2 += v2 * xj, s3 += v3 * xj;
      store_lanes(out + j, load_lanes(out + j) + ((v0 * x0 + v1 * x1) + (v2 * x2 + v3 * x3)));
    }
    double t[4] = {lane_sum(s0), lane_sum(s1), lane_sum(s2), lane_sum(s3)};
    for (; j < a; ++j) {
      double o = 0.0;
      for (size_t r = 0; r < 4; ++r) t[r] += g[r][j] * x[j], o += g[r][j] * x[i + r];
      out[j] += o;
    }
    for (size_t r = 0; r < 4; ++r) out[i + r] += head[r] + t[r];
  }
  for (; i < r1; ++i) {  // the last rows, one at a time
    const double* row = gamma + i * ld;
    double acc = row[i] * x[i];
    for (size_t j = i + 1; j < a; ++j) {
      acc += row[j] * x[j];
      out[j] += row[j] * x[i];
    }
    out[i] += acc;
  }
}

// Runs kernel(r0, r1, out) over the rows of an a×a triangle into `out` (zeroed first),
// on two threads when the triangle is large. The split gives both threads the same number
// of entries: rows [0, r) hold a·r − r²/2 of a²/2 when r = a·(1 − 1/√2).
constexpr size_t kThreadedMinEntries = 1u << 20;

template <typename Kernel>
void over_triangle(size_t a, std::vector<double>& out, std::vector<double>& scratch, Kernel kernel) {
  std::fill(out.begin(), out.begin() + a, 0.0);
  const bool threaded = std::thread::hardware_concurrency() >= 2 && a * a / 2 >= kThreadedMinEntries;
  if (!threaded) {
    kernel(size_t(0), a, out.data());
    return;
  }
  const size_t split = size_t(double(a) * (1.0 - std::sqrt(0.5)));
  std::fill(scratch.begin(), scratch.begin() + a, 0.0);
  std::thread helper([&] { kernel(split, a, scratch.data()); });
  kernel(size_t(0), split, out.data());
  helper.join();
  for (size_t j = 0; j < a; ++j) out[j] += scratch[j];
}

// Symmetric swap of positions p < q of the active block, upper triangle only, q the last
// active position (so nothing lies to the right of column q that is still live).
void swap_symmetric(double* g, size_t ld, size_t p, size_t q) {
  for (size_t k = 0; k < p; ++k) std::swap(g[k * ld + p], g[k * ld + q]);
  for (size_t k = p + 1; k < q; ++k) std::swap(g[p * ld + k], g[k * ld + q]);
  std::swap(g[p * ld + p], g[q * ld + q]);
}

// Pending updates applied per dsyrk: larger blocks mean fewer write passes, smaller ones
// less work per step on the panel (2·a·block flops).
constexpr size_t kBlock = 32;
// A downdated ‖Γ[:, j]‖² that fell below this fraction of its last exact value has lost
// that many digits to cancellation; the block is flushed so every norm is exact again.
constexpr double kRefreshRatio = 1e-6;

class RowSpacePursuit {
 public:
  // gamma: n×n with G in (at least) its upper triangle; consumed.
  RowSpacePursuit(std::vector<double> gamma, size_t n, ScoreNorm norm, bool record_factor)
      : gamma_(std::move(gamma)), n_(n), norm_(norm), record_factor_(record_factor), row_of_(n),
        gram_diag_(n), residual_(n), col_norm_(n), col_norm_exact_(n), d_(n, 0.0), v_(n),
        score_(n), scratch_(n), pending_(norm == ScoreNorm::L2 ? n * kBlock : 0) {
    for (size_t i = 0; i < n; ++i) {
      row_of_[i] = int32_t(i);
      gram_diag_[i] = residual_[i] = gamma_[i * n + i];
      trace_ += gram_diag_[i];
    }
    exact_norms(n);
  }

  SompResult run(size_t k) {
    SompResult result;
    result.form = SompForm::RowSpace;
    if (record_factor_) factor_.assign(n_ * k, 0.0);
    size_t active = n_;
    double energy = trace_ > 0 ? 0.0 : 1.0;
    bool broken = false;
    for (size_t t = 0; t < k; ++t) {
      broken = broken || max_residual(active) <= kBreakdownTolerance * trace_;
      size_t pos = broken ? npos : pick_greedy(active);
      if (pos == npos) {
        broken = true;
        pos = pick_fill(active);
      }
      result.indices.push_back(row_of_[pos]);
      if (!broken) {
        energy = norm_ == ScoreNorm::L2 ? step_lazy(pos, active, t) : step_eager(pos, active, t);
        ++result.greedy_picks;
      } else {
        swap_to_end(pos, active - 1);
      }
      --active;
      result.energy.push_back(energy);
    }
    result.rank_deficient = result.greedy_picks < k;
    if (record_factor_) result.coefficients = std::move(factor_);
    std::vector<double>().swap(gamma_);  // free n² doubles before α is solved
    return result;
  }

 private:
  double max_residual(size_t active) const {
    return *std::max_element(residual_.begin(), residual_.begin() + active);
  }

  size_t pick_greedy(size_t active) {
    const double eligible = kBreakdownTolerance * trace_;
    for (size_t i = 0; i < active; ++i) {
      const bool ok = residual_[i] > eligible && gram_diag_[i] > 0.0;
      const double norm = norm_ == ScoreNorm::L2 ? std::sqrt(std::max(0.0, col_norm_[i])) : col_norm_[i];
      score_[i] = ok ? norm / std::sqrt(gram_diag_[i]) : -1.0;
    }
    return pick_best(score_, row_of_, active);
  }

  // After breakdown: the largest remaining row norm, ties to the lowest index.
  size_t pick_fill(size_t active) {
    std::copy(gram_diag_.begin(), gram_diag_.begin() + active, score_.begin());
    return pick_best(score_, row_of_, active);
  }

  // Column norms and residuals recomputed from Γ, which must hold no pending updates.
  void exact_norms(size_t active) {
    if (norm_ == ScoreNorm::L2)
      over_triangle(active, col_norm_, scratch_, [&](size_t r0, size_t r1, double* out) {
        norm_rows<ScoreNorm::L2>(gamma_.data(), n_, active, r0, r1, out);
      });
    else
      over_triangle(active, col_norm_, scratch_, [&](size_t r0, size_t r1, double* out) {
        norm_rows<ScoreNorm::L1>(gamma_.data(), n_, active, r0, r1, out);
      });
    std::copy(col_norm_.begin(), col_norm_.begin() + active, col_norm_exact_.begin());
    for (size_t i = 0; i < active; ++i) residual_[i] = gamma_[i * n_ + i];
  }

  // Γ(i, j) of the stored (possibly stale) upper triangle.
  double stored(size_t i, size_t j) const { return i <= j ? gamma_[i * n_ + j] : gamma_[j * n_ + i]; }

  void swap_to_end(size_t pos, size_t last) {
    if (pos == last) return;
    swap_symmetric(gamma_.data(), n_, pos, last);
    for (auto* values : {&gram_diag_, &residual_, &col_norm_, &col_norm_exact_, &d_, &v_}) std::swap((*values)[pos], (*values)[last]);
    std::swap(row_of_[pos], row_of_[last]);
    if (pending_count_ > 0)
      std::swap_ranges(&pending_[pos * kBlock], &pending_[pos * kBlock] + pending_count_, &pending_[last * kBlock]);
  }

  void record_factor(size_t last, size_t t) {
    if (!record_factor_) return;
    const size_t k = factor_.size() / n_;
    for (size_t i = 0; i <= last; ++i) factor_[size_t(row_of_[i]) * k + t] = d_[i];
  }

  double energy(size_t active) const {
    double remaining = 0.0;
    for (size_t i = 0; i < active; ++i) remaining += residual_[i];
    return 1.0 - std::max(0.0, remaining) / trace_;
  }

  // p = 1: d = Γ[:, pos]/sqrt(Γ[pos, pos]), then one fused pass Γ ← Γ − d·dᵀ with the sums.
  double step_eager(size_t pos, size_t active, size_t t) {
    const double root = std::sqrt(stored(pos, pos));
    for (size_t i = 0; i < active; ++i) d_[i] = stored(i, pos) / root;
    const size_t last = active - 1;
    swap_to_end(pos, last);
    record_factor(last, t);
    over_triangle(last, col_norm_, scratch_, [&](size_t r0, size_t r1, double* out) {
      update_rows<ScoreNorm::L1>(gamma_.data(), n_, last, d_.data(), r0, r1, out);
    });
    for (size_t i = 0; i < last; ++i) residual_[i] = gamma_[i * n_ + i];
    return energy(last);
  }

  // p = 2: the same step with Γ kept stale; see the comment at the top of this section.
  double step_lazy(size_t pos, size_t active, size_t t) {
    const size_t b = pending_count_;
    const double* ps = &pending_[pos * kBlock];
    for (size_t i = 0; i < active; ++i) {
      const double* pi = &pending_[i * kBlock];
      double g = stored(i, pos);
      for (size_t c = 0; c < b; ++c) g -= pi[c] * ps[c];
      d_[i] = g;
    }
    const double root = std::sqrt(d_[pos]);
    double dd = 0.0;
    for (size_t i = 0; i < active; ++i) d_[i] /= root, dd += d_[i] * d_[i];
    // v = Γ·d = Γ_stale·d − D·(Dᵀ·d)
    double dtd[kBlock] = {};
    for (size_t i = 0; i < active; ++i)
      for (size_t c = 0; c < b; ++c) dtd[c] += pending_[i * kBlock + c] * d_[i];
    over_triangle(active, v_, scratch_, [&](size_t r0, size_t r1, double* out) {
      symv_rows(gamma_.data(), n_, active, d_.data(), r0, r1, out);
    });
    for (size_t i = 0; i < active; ++i) {
      const double* pi = &pending_[i * kBlock];
      double correction = 0.0;
      for (size_t c = 0; c < b; ++c) correction += pi[c] * dtd[c];
      const double v = v_[i] - correction, di = d_[i];
      col_norm_[i] += di * (di * dd - 2.0 * v);
      residual_[i] -= di * di;
    }
    const size_t last = active - 1;
    swap_to_end(pos, last);
    record_factor(last, t);
    for (size_t i = 0; i < last; ++i) pending_[i * kBlock + pending_count_] = d_[i];
    ++pending_count_;
    if (pending_count_ == kBlock || needs_refresh(last)) flush(last);
    return energy(last);
  }

  bool needs_refresh(size_t active) const {
    const double eligible = kBreakdownTolerance * trace_;
    for (size_t i = 0; i < active; ++i)
      if (residual_[i] > eligible && col_norm_[i] < kRefreshRatio * col_norm_exact_[i]) return true;
    return false;
  }

  void flush(size_t active) {
    if (active > 0) blas::syrk_upper(true, active, pending_count_, -1.0, pending_.data(), kBlock, gamma_.data(), n_);
    pending_count_ = 0;
    exact_norms(active);
  }

  std::vector<double> gamma_;
  size_t n_;
  ScoreNorm norm_;
  bool record_factor_;
  std::vector<int32_t> row_of_;     // original row index at each position
  std::vector<double> gram_diag_;   // G[j, j] = ‖w_j‖², by position
  std::vector<double> residual_;    // current Γ[j, j]
  std::vector<double> col_norm_;    // current Σ_s |Γ[s, j]|^p (p = 2: squared norm)
  std::vector<double> col_norm_exact_;  // col_norm_ at the last exact pass
  std::vector<double> d_, v_, score_, scratch_;
  std::vector<double> pending_;     // n×kBlock panel D of updates not yet applied to Γ
  size_t pending_count_ = 0;
  std::vector<double> factor_;      // n×k Cholesky columns, by original row
  double trace_ = 0.0;
};

// ---------------------------------------------------------------------------------------
// Column space (p = 2): with P the projector off the selected rows and A = WᵀW,
// ‖Γ[:, j]‖² = w_jᵀ·(P·A·P)·w_j and Γ[j, j] = ‖P·w_j‖². Both are kept per row and
// downdated with one product of W by [q, B·q] per step, B = P·A·P (m×m) updated by a
// symmetric rank-2 step. Cost per step O(n·m + m²) instead of O(n²).

class ColumnSpacePursuit {
 public:
  explicit ColumnSpacePursuit(const RowMatrix& matrix)
      : n_(matrix.rows), m_(matrix.cols()), w_(n_ * m_), b_(m_ * m_, 0.0), residual_(n_), score_sq_(n_), score_ref_(n_),
        gram_diag_(n_), selected_(n_, false), row_of_(n_), score_(n_) {
    const size_t n = n_, m = m_;
    for (size_t i = 0; i < n; ++i)
      for (size_t c = 0; c < m; ++c) w_[i * m + c] = double(matrix.at(i, c));
    blas::syrk_upper(false, m, n, 1.0, w_.data(), m, b_.data(), m);
    mirror_upper(b_.data(), m);
    constexpr size_t kRows = 256;
    std::vector<double> wb(std::min(n, kRows) * m);
    for (size_t r0 = 0; r0 < n; r0 += kRows) {
      const size_t rows = std::min(kRows, n - r0);
      blas::gemm(false, false, rows, m, m, 1.0, &w_[r0 * m], m, b_.data(), m, 0.0, wb.data(), m);
      for (size_t r = 0; r < rows; ++r) {
        const double* wr = &w_[(r0 + r) * m];
        double sq = 0.0, quad = 0.0;
        for (size_t c = 0; c < m; ++c) sq += wr[c] * wr[c], quad += wb[r * m + c] * wr[c];
        gram_diag_[r0 + r] = residual_[r0 + r] = sq;
        score_sq_[r0 + r] = score_ref_[r0 + r] = quad;
      }
    }
    for (size_t i = 0; i < n; ++i) trace_ += gram_diag_[i], row_of_[i] = int32_t(i);
  }

  SompResult run(size_t k) {
    SompResult result;
    result.form = SompForm::ColumnSpace;
    factor_.assign(n_ * k, 0.0);
    basis_.assign(k * m_, 0.0);
    std::vector<double> qv(2 * m_), uz(2 * n_), x(m_);
    double energy = trace_ > 0 ? 0.0 : 1.0;
    bool broken = false;
    for (size_t t = 0; t < k; ++t) {
      broken = broken || max_residual() <= kBreakdownTolerance * trace_;
      size_t s = broken ? npos : pick_greedy();
      if (s != npos && !project(s, t, x)) s = npos;
      if (s == npos) {
        broken = true;
        s = pick_fill();
      } else {
        energy = step(s, t, x, qv, uz);
        ++result.greedy_picks;
      }
      selected_[s] = true;
      result.indices.push_back(int32_t(s));
      result.energy.push_back(energy);
    }
    result.rank_deficient = result.greedy_picks < k;
    coefficients_ = std::move(factor_);
    return result;
  }

  std::vector<double>& factor() { return coefficients_; }

 private:
  double max_residual() const {
    double largest = 0.0;
    for (size_t i = 0; i < n_; ++i)
      if (!selected_[i]) largest = std::max(largest, residual_[i]);
    return largest;
  }

  size_t pick_greedy() {
    const double eligible = kBreakdownTolerance * trace_;
    for (size_t i = 0; i < n_; ++i) {
      const bool ok = !selected_[i] && residual_[i] > eligible && gram_diag_[i] > 0.0;
      if (ok && score_sq_[i] < 1e-4 * score_ref_[i]) refresh_score(i);
      score_[i] = ok ? std::sqrt(std::max(0.0, score_sq_[i]) / gram_diag_[i]) : -1.0;
    }
    return pick_best(score_, row_of_, n_);
  }

  size_t pick_fill() {
    for (size_t i = 0; i < n_; ++i) score_[i] = selected_[i] ? -1.0 : gram_diag_[i];
    return pick_best(score_, row_of_, n_);
  }

  // A downdated score that fell by orders of magnitude has lost digits to cancellation;
  // recompute it from B, which is updated explicitly and keeps its accuracy.
  void refresh_score(size_t i) {
    std::vector<double> bw(m_);
    const double* wi = &w_[i * m_];
    blas::symv_upper(m_, b_.data(), m_, wi, bw.data());
    double quad = 0.0;
    for (size_t c = 0; c < m_; ++c) quad += bw[c] * wi[c];
    score_sq_[i] = score_ref_[i] = quad;
  }

  // x = P·w_s, by Gram–Schmidt twice against the basis so far. False if it vanished.
  bool project(size_t s, size_t t, std::vector<double>& x) {
    const double* ws = &w_[s * m_];
    std::copy(ws, ws + m_, x.begin());
    for (int pass = 0; pass < 2; ++pass)
      for (size_t i = 0; i < t; ++i) {
        const double* q = &basis_[i * m_];
        double c = 0.0;
        for (size_t j = 0; j < m_; ++j) c += q[j] * x[j];
        for (size_t j = 0; j < m_; ++j) x[j] -= c * q[j];
      }
    double sq = 0.0;
    for (double v : x) sq += v * v;
    return sq > kBreakdownTolerance * trace_;
  }

  double step(size_t s, size_t t, std::vector<double>& x, std::vector<double>& qv, std::vector<double>& uz) {
    double norm = 0.0;
    for (double v : x) norm += v * v;
    norm = std::sqrt(norm);
    double* q = qv.data();
    double* v = qv.data() + m_;
    for (size_t j = 0; j < m_; ++j) q[j] = x[j] / norm;
    blas::symv_upper(m_, b_.data(), m_, q, v);
    double c = 0.0;
    for (size_t j = 0; j < m_; ++j) c += q[j] * v[j];
    // [u z] = W·[q v]: u = d = Γ[:, s]/sqrt(Γ[s, s]), z = W·B·q.
    blas::gemm(false, true, n_, 2, m_, 1.0, w_.data(), m_, qv.data(), m_, 0.0, uz.data(), 2);
    const size_t k = factor_.size() / n_;
    double remaining = 0.0;
    for (size_t i = 0; i < n_; ++i) {
      if (selected_[i]) continue;
      const double u = i == s ? norm : uz[2 * i];
      const double z = uz[2 * i + 1];
      factor_[i * k + t] = u;
      residual_[i] -= u * u;
      score_sq_[i] += -2.0 * z * u + c * u * u;
      if (i != s) remaining += std::max(0.0, residual_[i]);
    }
    residual_[s] = 0.0;
    // B ← B − v·qᵀ − q·vᵀ + c·q·qᵀ = B − (y·qᵀ + q·yᵀ) with y = v − (c/2)·q.
    for (size_t j = 0; j < m_; ++j) v[j] -= 0.5 * c * q[j];
    blas::syr2_upper(m_, -1.0, v, q, b_.data(), m_);
    std::copy(q, q + m_, &basis_[t * m_]);
    return 1.0 - remaining / trace_;
  }

  size_t n_, m_;
  std::vector<double> w_;                 // W widened to double, n×m
  std::vector<double> b_;                 // P·A·P, m×m (upper triangle live)
  std::vector<double> residual_;          // Γ[j, j]
  std::vector<double> score_sq_, score_ref_;  // ‖Γ[:, j]‖², and its value when last exact
  std::vector<double> gram_diag_;
  std::vector<bool> selected_;
  std::vector<int32_t> row_of_;           // identity; pick_best compares row indices
  std::vector<double> score_;
  std::vector<double> factor_, basis_, coefficients_;
  double trace_ = 0.0;
};

// Estimated memory traffic / flops of each form; the column form also has to fit in the
// 2·n² doubles the row form would use.
bool column_space_is_cheaper(size_t n, size_t m, size_t k, ScoreNorm norm) {
  if (norm != ScoreNorm::L2 || m >= n) return false;
  const double dn = double(n), dm = double(m), dk = double(k);
  const double row_cost = dn * dn * dm + (dn * dn * dn - (dn - dk) * (dn - dk) * (dn - dk)) / 3.0;
  const double column_cost = dm * dm * dn + dk * (2.0 * dn * dm + 3.0 * dm * dm + dk * dm);
  const double column_memory = dn * dm + dm * dm + dn * dk + dk * dm;
  return column_cost < row_cost && column_memory <= 2.0 * dn * dn;
}

void check_sizes(size_t n, size_t k) {
  if (n == 0) throw std::invalid_argument("n must be at least 1");
  if (k == 0 || k > n) throw std::invalid_argument("k must be between 1 and n = " + std::to_string(n));
}

}  // namespace

SompResult somp_weights(const RowMatrix& w, size_t k, const SompOptions& options) {
  const size_t n = w.rows, m = w.cols();
  check_sizes(n, k);
  if (m == 0) throw std::invalid_argument("m must be at least 1");
  if (column_space_is_cheaper(n, m, k, options.norm)) {
    auto start = Clock::now();
    ColumnSpacePursuit pursuit(w);
    const double gram_seconds = seconds_since(start);
    start = Clock::now();
    SompResult result = pursuit.run(k);
    if (options.want_coefficients) {
      coefficients_from_factor(pursuit.factor(), n, result.indices);
      result.coefficients = std::move(pursuit.factor());
    }
    result.gram_seconds = gram_seconds;
    result.select_seconds = seconds_since(start);
    return result;
  }
  auto start = Clock::now();
  std::vector<double> gram(n * n);
  row_gram(w, gram.data());
  const double gram_seconds = seconds_since(start);
  start = Clock::now();
  RowSpacePursuit pursuit(std::move(gram), n, options.norm, options.want_coefficients);
  SompResult result = pursuit.run(k);
  if (options.want_coefficients) coefficients_from_factor(result.coefficients, n, result.indices);
  result.gram_seconds = gram_seconds;
  result.select_seconds = seconds_since(start);
  return result;
}

SompResult somp_gram(const double* g, size_t n, size_t k, const SompOptions& options) {
  check_sizes(n, k);
  for (size_t i = 0; i < n; ++i) {
    if (!(g[i * n + i] >= 0.0))
      throw std::invalid_argument("gram has a negative diagonal entry at " + std::to_string(i));
    for (size_t j = i + 1; j < n; ++j) {
      const double a = g[i * n + j], b = g[j * n + i];
      if (std::fabs(a - b) > 1e-9 * (std::fabs(a) + std::fabs(b)) + 1e-300)
        throw std::invalid_argument("gram is not symmetric at (" + std::to_string(i) + ", " + std::to_string(j) + ")");
    }
  }
  auto start = Clock::now();
  RowSpacePursuit pursuit(std::vector<double>(g, g + n * n), n, options.norm, options.want_coefficients);
  SompResult result = pursuit.run(k);
  if (options.want_coefficients) coefficients_from_factor(result.coefficients, n, result.indices);
  result.select_seconds = seconds_since(start);
  return result;
}

}  // namespace thin
