// Streaming statistics of activations for calibration: the channel Gram F·Fᵀ and channel
// sums, accumulated batch by batch so memory is O(C²) whatever the number of samples.
#pragma once
#include <cstddef>

namespace thin {

// Where a group's channels sit in an activation tensor viewed as [outer, axis, inner]:
// channel c's entries along the axis are offset + c·block + b for b < block; every
// (outer, b, inner) position is one sample of the C-vector.
struct ChannelView {
  size_t outer, axis_length, inner;
  size_t offset, channels, block;
};

// Adds the sampled positions of `data` to gram (C×C, row-major, both triangles) and sums
// (C). Takes at most max_positions of the block·inner positions of each outer index,
// evenly spaced. Returns the number of samples added.
size_t accumulate_gram(const float* data, const ChannelView& view, size_t max_positions, double* gram, double* sums);

// out (k×cols) = αᵀ·x for α (n×k) and x (n×cols): folds least-squares coefficients into
// the columns of a consumer's weight. Computed in double.
void mix_rows(const double* alpha, size_t n, size_t k, const float* x, size_t cols, float* out);

}  // namespace thin
