// Node-API surface of onnx-thin: checks arguments, runs the math on worker threads
// (Napi::AsyncWorker, so the event loop never waits on BLAS), and maps C++ errors to
// JavaScript errors. No math lives here; see somp.h, lstsq.h, blas.h.
#include <napi.h>

#include <cmath>
#include <functional>
#include <vector>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "activation_gram.h"
#include "blas.h"
#include "gram.h"
#include "lstsq.h"
#include "somp.h"

namespace {

enum class ErrorKind { Type, Range, Generic };

Napi::Error make_error(Napi::Env env, ErrorKind kind, const std::string& message) {
  if (kind == ErrorKind::Type) return Napi::TypeError::New(env, message);
  if (kind == ErrorKind::Range) return Napi::RangeError::New(env, message);
  return Napi::Error::New(env, message);
}

// Sizes go to CBLAS as int, so they must stay below 2³¹.
constexpr double kMaxDimension = 2147483647.0;

size_t read_dimension(const Napi::CallbackInfo& info, size_t index, const char* name) {
  const Napi::Value value = info[index];
  if (!value.IsNumber()) throw make_error(info.Env(), ErrorKind::Type, std::string(name) + " must be a number");
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v)
    throw make_error(info.Env(), ErrorKind::Range, std::string(name) + " must be an integer, got " + value.ToString().Utf8Value());
  if (v < 1 || v > kMaxDimension)
    throw make_error(info.Env(), ErrorKind::Range, std::string(name) + " must be between 1 and 2147483647, got " + value.ToString().Utf8Value());
  return size_t(v);
}

// k: a dimension that is also at most n.
size_t read_k(const Napi::CallbackInfo& info, size_t index, size_t n) {
  const size_t k = read_dimension(info, index, "k");
  if (k > n) throw make_error(info.Env(), ErrorKind::Range, "k must be at most n = " + std::to_string(n) + ", got " + std::to_string(k));
  return k;
}

template <typename Array>
Array read_typed_array(const Napi::CallbackInfo& info, size_t index, const char* name, napi_typedarray_type type,
                       const char* type_name, size_t expected_length, const std::string& length_rule) {
  const Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type)
    throw make_error(info.Env(), ErrorKind::Type, std::string(name) + " must be a " + type_name);
  Array array = value.As<Array>();
  if (array.ElementLength() != expected_length)
    throw make_error(info.Env(), ErrorKind::Range,
                     std::string(name) + " has length " + std::to_string(array.ElementLength()) + " but " + length_rule +
                         " = " + std::to_string(expected_length));
  return array;
}

thin::SompOptions read_options(const Napi::CallbackInfo& info, size_t index) {
  thin::SompOptions options;
  if (info.Length() <= index || info[index].IsUndefined()) return options;
  if (!info[index].IsObject()) throw make_error(info.Env(), ErrorKind::Type, "options must be an object");
  const Napi::Object object = info[index].As<Napi::Object>();
  const Napi::Value p = object.Get("p");
  if (!p.IsUndefined()) {
    const double pv = p.IsNumber() ? p.As<Napi::Number>().DoubleValue() : 0.0;
    if (pv != 1.0 && pv != 2.0) throw make_error(info.Env(), ErrorKind::Range, "options.p must be 1 or 2");
    options.norm = pv == 1.0 ? thin::ScoreNorm::L1 : thin::ScoreNorm::L2;
  }
  const Napi::Value coefficients = object.Get("coefficients");
  if (!coefficients.IsUndefined()) {
    if (!coefficients.IsBoolean()) throw make_error(info.Env(), ErrorKind::Type, "options.coefficients must be a boolean");
    options.want_coefficients = coefficients.As<Napi::Boolean>().Value();
  }
  return options;
}

// What a worker runs: inputs are borrowed from typed arrays kept alive by references.
struct SompJob {
  const float* weights = nullptr;  // n×m, or null when starting from a Gram
  std::vector<int32_t> columns;    // the columns of W seen (options.columns), or empty: all
  const double* gram = nullptr;    // n×n
  size_t n = 0, m = 0, k = 0;
  thin::SompOptions options;
};

struct JobFailure {
  ErrorKind kind;
  std::string message;
};

template <typename T>
void require_finite(const T* data, size_t count, const char* name) {
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(data[i]))
      throw JobFailure{ErrorKind::Range, std::string(name) + "[" + std::to_string(i) + "] is " +
                                             (std::isnan(data[i]) ? "NaN" : "infinite") + "; weights must be finite"};
}

// Runs a job body and turns every C++ failure into a JobFailure with a JS error kind.
template <typename Body>
auto guarded(Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const JobFailure&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw JobFailure{ErrorKind::Range, e.what()};
  } catch (const std::bad_alloc&) {
    throw JobFailure{ErrorKind::Range, "out of memory: the matrix is too large for this machine"};
  } catch (const std::exception& e) {
    throw JobFailure{ErrorKind::Generic, e.what()};
  }
}

thin::SompResult run_somp(const SompJob& job) {
  return guarded([&] {
    if (job.weights) {
      require_finite(job.weights, job.n * job.m, "weights");
      thin::RowMatrix matrix{job.weights, job.n, job.m};
      if (!job.columns.empty()) matrix.columns = job.columns.data(), matrix.column_count = job.columns.size();
      return thin::somp_weights(matrix, job.k, job.options);
    }
    require_finite(job.gram, job.n * job.n, "gram");
    return thin::somp_gram(job.gram, job.n, job.k, job.options);
  });
}

template <typename Array, typename T>
Array to_typed_array(Napi::Env env, const std::vector<T>& values) {
  Array array = Array::New(env, values.size());
  if (!values.empty()) std::memcpy(array.Data(), values.data(), values.size() * sizeof(T));
  return array;
}

// Large results (α is n×k doubles: 64 MiB for VGG-16's fc6) are handed to JavaScript
// without a copy: the array takes over the vector's memory and frees it when collected.
template <typename Array, typename T>
Array adopt_typed_array(Napi::Env env, std::vector<T>&& values) {
  if (values.size() * sizeof(T) < (1u << 20)) return to_typed_array<Array>(env, values);
  auto* owned = new std::vector<T>(std::move(values));
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(T),
                                                    [](Napi::Env, void*, std::vector<T>* v) { delete v; }, owned);
  return Array::New(env, owned->size(), buffer, 0);
}

Napi::Object result_to_js(Napi::Env env, thin::SompResult& result) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("indices", to_typed_array<Napi::Int32Array>(env, result.indices));
  out.Set("energy", to_typed_array<Napi::Float64Array>(env, result.energy));
  out.Set("rankDeficient", Napi::Boolean::New(env, result.rank_deficient));
  out.Set("greedyPicks", Napi::Number::New(env, double(result.greedy_picks)));
  out.Set("form", Napi::String::New(env, result.form == thin::SompForm::RowSpace ? "row" : "column"));
  if (!result.coefficients.empty())
    out.Set("coefficients", adopt_typed_array<Napi::Float64Array>(env, std::move(result.coefficients)));
  out.Set("gramSeconds", Napi::Number::New(env, result.gram_seconds));
  out.Set("selectSeconds", Napi::Number::New(env, result.select_seconds));
  return out;
}

// A Promise-returning worker. Compute runs off the main thread and must not touch JS;
// Resolve runs back on the main thread. The references keep the input arrays alive.
template <typename Output>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Compute = std::function<Output()>;
  using Resolve = std::function<Napi::Value(Napi::Env, Output&)>;

  PromiseWorker(Napi::Env env, Compute compute, Resolve resolve, std::vector<Napi::Value> keep_alive)
      : Napi::AsyncWorker(env, "onnx-thin"), deferred_(Napi::Promise::Deferred::New(env)),
        compute_(std::move(compute)), resolve_(std::move(resolve)) {
    for (auto& value : keep_alive) references_.push_back(Napi::Persistent(value.As<Napi::Object>()));
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      output_ = compute_();
    } catch (const JobFailure& failure) {
      failure_ = failure;
      SetError(failure.message);
    }
  }
  void OnOK() override { deferred_.Resolve(resolve_(Env(), output_)); }
  void OnError(const Napi::Error&) override {
    deferred_.Reject(make_error(Env(), failure_.kind, failure_.message).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Compute compute_;
  Resolve resolve_;
  Output output_{};
  JobFailure failure_{ErrorKind::Generic, ""};
  std::vector<Napi::ObjectReference> references_;
};

Napi::Value settle_sync(Napi::Env env, const std::function<Napi::Value()>& body) {
  try {
    return body();
  } catch (const JobFailure& failure) {
    throw make_error(env, failure.kind, failure.message);
  }
}

// somp(weights: Float32Array, n, m, k, options?)
SompJob read_weights_job(const Napi::CallbackInfo& info) {
  SompJob job;
  job.n = read_dimension(info, 1, "n");
  job.m = read_dimension(info, 2, "m");
  job.k = read_k(info, 3, job.n);
  job.weights = read_typed_array<Napi::Float32Array>(info, 0, "weights", napi_float32_array, "Float32Array",
                                                     job.n * job.m, "n·m").Data();
  job.options = read_options(info, 4);
  if (info.Length() > 4 && info[4].IsObject()) {
    const Napi::Value columns = info[4].As<Napi::Object>().Get("columns");
    if (!columns.IsUndefined()) {
      if (!columns.IsTypedArray() || columns.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        throw make_error(info.Env(), ErrorKind::Type, "options.columns must be an Int32Array");
      const Napi::Int32Array list = columns.As<Napi::Int32Array>();
      if (list.ElementLength() == 0) throw make_error(info.Env(), ErrorKind::Range, "options.columns must not be empty");
      for (size_t c = 0; c < list.ElementLength(); ++c)
        if (list[c] < 0 || size_t(list[c]) >= job.m)
          throw make_error(info.Env(), ErrorKind::Range, "options.columns[" + std::to_string(c) + "] = " + std::to_string(list[c]) + " is outside 0.." + std::to_string(job.m - 1));
      job.columns.assign(list.Data(), list.Data() + list.ElementLength());
    }
  }
  return job;
}

Napi::Value Somp(const Napi::CallbackInfo& info) {
  const SompJob job = read_weights_job(info);
  auto* worker = new PromiseWorker<thin::SompResult>(
      info.Env(), [job] { return run_somp(job); }, result_to_js, {info[0]});
  worker->Queue();
  return worker->promise();
}

Napi::Value SompSync(const Napi::CallbackInfo& info) {
  const SompJob job = read_weights_job(info);
  return settle_sync(info.Env(), [&] {
    thin::SompResult result = run_somp(job);
    return Napi::Value(result_to_js(info.Env(), result));
  });
}

// sompGram(gram: Float64Array, n, k, options?)
Napi::Value SompGram(const Napi::CallbackInfo& info) {
  SompJob job;
  job.n = read_dimension(info, 1, "n");
  job.k = read_k(info, 2, job.n);
  job.gram = read_typed_array<Napi::Float64Array>(info, 0, "gram", napi_float64_array, "Float64Array", job.n * job.n,
                                                  "n·n").Data();
  job.options = read_options(info, 3);
  auto* worker = new PromiseWorker<thin::SompResult>(
      info.Env(), [job] { return run_somp(job); }, result_to_js, {info[0]});
  worker->Queue();
  return worker->promise();
}

// coefficients(weights: Float32Array, n, m, selected: Int32Array) → Float64Array (n×k)
Napi::Value Coefficients(const Napi::CallbackInfo& info) {
  const size_t n = read_dimension(info, 1, "n");
  const size_t m = read_dimension(info, 2, "m");
  const float* weights = read_typed_array<Napi::Float32Array>(info, 0, "weights", napi_float32_array, "Float32Array",
                                                              n * m, "n·m").Data();
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw make_error(info.Env(), ErrorKind::Type, "selected must be an Int32Array");
  const Napi::Int32Array selected_array = info[3].As<Napi::Int32Array>();
  std::vector<int32_t> selected(selected_array.Data(), selected_array.Data() + selected_array.ElementLength());
  auto compute = [weights, n, m, selected] {
    return guarded([&] {
      require_finite(weights, n * m, "weights");
      return thin::least_squares_coefficients(weights, n, m, selected);
    });
  };
  auto resolve = [](Napi::Env env, std::vector<double>& alpha) -> Napi::Value {
    return adopt_typed_array<Napi::Float64Array>(env, std::move(alpha));
  };
  auto* worker = new PromiseWorker<std::vector<double>>(info.Env(), compute, resolve, {info[0]});
  worker->Queue();
  return worker->promise();
}

// accumulateGram(gram: Float64Array C×C, sums: Float64Array C, data: Float32Array,
//   view: {outer, axisLength, inner, offset, channels, block}, maxPositions) → Promise<samples>
Napi::Value AccumulateGram(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[3].IsObject()) throw make_error(env, ErrorKind::Type, "view must be an object");
  const Napi::Object object = info[3].As<Napi::Object>();
  auto field = [&](const char* name) {
    const Napi::Value v = object.Get(name);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && std::floor(d) == d && d <= 9007199254740991.0))
      throw make_error(env, ErrorKind::Range, std::string("view.") + name + " must be a non-negative integer");
    return size_t(d);
  };
  thin::ChannelView view{field("outer"), field("axisLength"), field("inner"), field("offset"), field("channels"), field("block")};
  if (view.channels == 0 || view.block == 0 || view.offset + view.channels * view.block > view.axis_length)
    throw make_error(env, ErrorKind::Range, "view: channels·block from offset must fit in axisLength");
  const size_t c = view.channels;
  double* gram = read_typed_array<Napi::Float64Array>(info, 0, "gram", napi_float64_array, "Float64Array", c * c, "channels²").Data();
  double* sums = read_typed_array<Napi::Float64Array>(info, 1, "sums", napi_float64_array, "Float64Array", c, "channels").Data();
  const float* data = read_typed_array<Napi::Float32Array>(info, 2, "data", napi_float32_array, "Float32Array",
                                                           view.outer * view.axis_length * view.inner, "outer·axisLength·inner").Data();
  const size_t max_positions = read_dimension(info, 4, "maxPositions");
  auto compute = [=] {
    return guarded([&] {
      require_finite(data, view.outer * view.axis_length * view.inner, "data");
      return double(thin::accumulate_gram(data, view, max_positions, gram, sums));
    });
  };
  auto resolve = [](Napi::Env e, double& samples) -> Napi::Value { return Napi::Number::New(e, samples); };
  auto* worker = new PromiseWorker<double>(env, compute, resolve, {info[0], info[1], info[2]});
  worker->Queue();
  return worker->promise();
}

// mixRows(alpha: Float64Array n×k, n, k, x: Float32Array n×cols, cols) → Promise<Float32Array k×cols>
Napi::Value MixRows(const Napi::CallbackInfo& info) {
  const size_t n = read_dimension(info, 1, "n");
  const size_t k = read_dimension(info, 2, "k");
  const size_t cols = read_dimension(info, 4, "cols");
  const double* alpha = read_typed_array<Napi::Float64Array>(info, 0, "alpha", napi_float64_array, "Float64Array", n * k, "n·k").Data();
  const float* x = read_typed_array<Napi::Float32Array>(info, 3, "x", napi_float32_array, "Float32Array", n * cols, "n·cols").Data();
  auto compute = [=] {
    return guarded([&] {
      std::vector<float> out(k * cols);
      thin::mix_rows(alpha, n, k, x, cols, out.data());
      return out;
    });
  };
  auto resolve = [](Napi::Env e, std::vector<float>& out) -> Napi::Value { return adopt_typed_array<Napi::Float32Array>(e, std::move(out)); };
  auto* worker = new PromiseWorker<std::vector<float>>(info.Env(), compute, resolve, {info[0], info[3]});
  worker->Queue();
  return worker->promise();
}

Napi::Value MeasureGemmGflops(const Napi::CallbackInfo& info) {
  const size_t n = read_dimension(info, 0, "n");
  const size_t repeats = read_dimension(info, 1, "repeats");
  return Napi::Number::New(info.Env(), thin::blas::measure_gemm_gflops(n, int(repeats)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("backend", Napi::String::New(env, thin::blas::backend()));
  exports.Set("somp", Napi::Function::New(env, Somp, "somp"));
  exports.Set("sompSync", Napi::Function::New(env, SompSync, "sompSync"));
  exports.Set("sompGram", Napi::Function::New(env, SompGram, "sompGram"));
  exports.Set("coefficients", Napi::Function::New(env, Coefficients, "coefficients"));
  exports.Set("accumulateGram", Napi::Function::New(env, AccumulateGram, "accumulateGram"));
  exports.Set("mixRows", Napi::Function::New(env, MixRows, "mixRows"));
  exports.Set("measureGemmGflops", Napi::Function::New(env, MeasureGemmGflops, "measureGemmGflops"));
  return exports;
}

}  // namespace

NODE_API_MODULE(onnx_thin, Init)
