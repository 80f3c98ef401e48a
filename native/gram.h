// Gram matrices of float32 weights, accumulated in float64.
#pragma once
#include <cstddef>
#include <cstdint>

namespace thin {

// Rows of a row-major float32 matrix, optionally seen through a subset of its columns
// (a layer's weight with its input channels cut to those kept upstream), so the cut
// never has to be copied out of the model's own bytes.
struct RowMatrix {
  const float* data;
  size_t rows;
  size_t stride;                     // floats per stored row
  const int32_t* columns = nullptr;  // the columns seen, or null for all `stride` of them
  size_t column_count = 0;

  size_t cols() const { return columns ? column_count : stride; }
  float at(size_t i, size_t c) const { return data[i * stride + (columns ? size_t(columns[c]) : c)]; }
};

// G = W·Wᵀ (n×n row-major; both triangles filled) for the rows of `w` as seen, widened to
// double one panel of columns at a time.
void row_gram(const RowMatrix& w, double* g);


// Copies the lower triangle of a row-major n×n matrix from its upper triangle.
void mirror_upper(double* g, size_t n);

}  // namespace thin
