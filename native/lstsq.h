// Least-squares coefficients α (n×k) with W ≈ α·W[S]: α = G[:, S]·G[S, S]⁻¹.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace thin {

// The pivoted Cholesky columns of a selection: column t is d_t = Γ_t[:, s_t]/sqrt(Γ_t[s_t, s_t])
// (Γ_t the residual Gram before step t), or all zeros where s_t lay in the span of the
// earlier picks. Then G[:, S] = L·L[S, :]ᵀ, so α = L·L[S, :]⁻¹ needs no second Gram.
// Turns the n×k factor into α in place. Dependent picks get a zero column except their
// own row, and every selected row s_t gets exactly e_t.
void coefficients_from_factor(std::vector<double>& factor, size_t n, const std::vector<int32_t>& selected);

// α for any selection (SOMP or not) of the rows of a row-major float32 W (n×m).
std::vector<double> least_squares_coefficients(const float* w, size_t n, size_t m,
                                               const std::vector<int32_t>& selected);

}  // namespace thin
