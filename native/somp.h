// Greedy Simultaneous Orthogonal Matching Pursuit on the rows of a weight matrix
// (Lu et al. 2017, "thin model initialization"; Tropp et al. 2006). Pure math on raw
// buffers: no Node-API in here. See DESIGN.md §2 for the exact rule.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace thin {

// p in score(j) = ‖Γ[:, j]‖_p / ‖w_j‖: 2 is the paper's choice, 1 is Tropp's SOMP.
enum class ScoreNorm { L1 = 1, L2 = 2 };

// A row whose residual energy Γ[j, j] is at most this fraction of trace(G) counts as lying
// in the span of the rows already selected: it is never picked greedily, and when every
// unselected row is like that the pursuit has broken down.
constexpr double kBreakdownTolerance = 1e-10;

// Scores within this relative distance of the best score are ties, and ties go to the
// lowest row index. Float64 rounding differs between equivalent formulas in the last
// bits; without a tolerance an exact tie in the data would be broken by rounding noise.
constexpr double kTieTolerance = 1e-9;

// Where the iteration runs: on the n×n residual Gram Γ = R·Rᵀ (any p), or on the m×m
// projected column Gram (p = 2 and m < n, where it is cheaper).
enum class SompForm { RowSpace, ColumnSpace };

struct SompOptions {
  ScoreNorm norm = ScoreNorm::L2;
  bool want_coefficients = false;  // also return α with W ≈ α·W[indices]
};

struct SompResult {
  std::vector<int32_t> indices;  // rows in selection order
  std::vector<double> energy;    // 1 − trace(Γ)/trace(G) after each step
  size_t greedy_picks = 0;       // picks made by the score; the rest filled at breakdown
  bool rank_deficient = false;   // greedy_picks < k: the rows span fewer than k dimensions
  SompForm form = SompForm::RowSpace;
  std::vector<double> coefficients;  // n×k row-major α, only with want_coefficients
  double gram_seconds = 0;
  double select_seconds = 0;
};

struct RowMatrix;

// SOMP on the rows of a row-major float32 matrix W (n×m), optionally seen through a subset
// of its columns (see RowMatrix in gram.h); picks k of the n rows.
SompResult somp_weights(const RowMatrix& w, size_t k, const SompOptions& options);

// SOMP from a Gram matrix G = W·Wᵀ the caller supplies (row-major n×n, symmetric).
SompResult somp_gram(const double* g, size_t n, size_t k, const SompOptions& options);

}  // namespace thin
