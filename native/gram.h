// Gram matrices of float32 weights, accumulated in float64.
#pragma once
#include <cstddef>

namespace thin {

// G = W·Wᵀ (n×n row-major; both triangles filled) for a row-major float32 W (n×m).
// W is widened to double one panel of columns at a time, so the extra memory is n·panel
// doubles rather than a double copy of W.
void row_gram(const float* w, size_t n, size_t m, double* g);

// Copies the lower triangle of a row-major n×n matrix from its upper triangle.
void mirror_upper(double* g, size_t n);

}  // namespace thin
