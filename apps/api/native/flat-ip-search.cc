// Exact inner-product top-k over a row range of float32 vectors that JavaScript owns
// (typically a Float32Array over a SharedArrayBuffer), computed by Faiss's
// knn_inner_product: no copy of the database, no number[] conversion (faiss-node's
// only input type), and callable from several worker threads at once.
//
// Threading: each JS worker thread searches its own row range with one thread, so
// OpenMP and OpenBLAS are held to one thread per call; parallelism comes from the
// worker threads, which never oversubscribe the cores.
#include <node_api.h>

#include <dlfcn.h>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <algorithm>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include <faiss/impl/IDSelector.h>
#include <faiss/utils/distances.h>

#ifndef FAISS_VARIANT
#define FAISS_VARIANT "generic"
#endif

namespace {

// Rows whose bit is set in `excluded` (tombstones) are skipped; ids Faiss passes in
// are relative to the searched range, the bitmap is indexed by shard row.
struct VisibleRows final : faiss::IDSelector {
  const uint8_t* excluded;
  size_t offset;
  VisibleRows(const uint8_t* excluded, size_t offset) : excluded(excluded), offset(offset) {}
  bool is_member(idx_t id) const override {
    size_t row = static_cast<size_t>(id) + offset;
    return !((excluded[row >> 3] >> (row & 7)) & 1);
  }
};

// Up to this many tombstones in a range are over-fetched and filtered; beyond it a
// selector skips them row by row (compaction keeps shards from getting there).
constexpr size_t kOverfetchLimit = 4096;

size_t CountExcluded(const uint8_t* excluded, int64_t row_start, int64_t row_end) {
  size_t count = 0;
  for (int64_t row = row_start; row < row_end; row += 1) count += (excluded[row >> 3] >> (row & 7)) & 1;
  return count;
}

bool Fail(napi_env env, const std::string& message) {
  napi_throw_error(env, "SEARCH_ADDON", message.c_str());
  return false;
}

bool GetFloat32Array(napi_env env, napi_value value, const char* name, float** data, size_t* length) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) return Fail(env, std::string(name) + " must be a Float32Array");
  napi_typedarray_type type;
  void* raw = nullptr;
  napi_get_typedarray_info(env, value, &type, length, &raw, nullptr, nullptr);
  if (type != napi_float32_array) return Fail(env, std::string(name) + " must be a Float32Array");
  *data = static_cast<float*>(raw);
  return true;
}

bool GetCount(napi_env env, napi_value value, const char* name, int64_t* out) {
  if (napi_get_value_int64(env, value, out) != napi_ok || *out < 0) return Fail(env, std::string(name) + " must be a non-negative integer");
  return true;
}

// search(vectors, dim, rowStart, rowEnd, queries, k, excluded | null)
//   -> { scores: Float32Array(nq*k), rows: Int32Array(nq*k) }, best first per query;
//   rows are shard row numbers, -1 where fewer than k rows are visible.
napi_value Search(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 7) return Fail(env, "search takes 7 arguments"), nullptr;
  float* vectors;
  size_t vector_floats;
  float* queries;
  size_t query_floats;
  int64_t dim, row_start, row_end, k;
  if (!GetFloat32Array(env, argv[0], "vectors", &vectors, &vector_floats)) return nullptr;
  if (!GetCount(env, argv[1], "dim", &dim) || !GetCount(env, argv[2], "rowStart", &row_start) ||
      !GetCount(env, argv[3], "rowEnd", &row_end) || !GetFloat32Array(env, argv[4], "queries", &queries, &query_floats) ||
      !GetCount(env, argv[5], "k", &k))
    return nullptr;
  if (dim == 0 || k == 0) return Fail(env, "dim and k must be positive"), nullptr;
  if (row_end < row_start || static_cast<size_t>(row_end) * dim > vector_floats) return Fail(env, "row range outside vectors"), nullptr;
  if (query_floats % dim != 0) return Fail(env, "queries length is not a multiple of dim"), nullptr;
  size_t nq = query_floats / dim;

  const uint8_t* excluded = nullptr;
  napi_valuetype excluded_type;
  napi_typeof(env, argv[6], &excluded_type);
  if (excluded_type != napi_null && excluded_type != napi_undefined) {
    napi_typedarray_type type;
    size_t length;
    void* raw;
    bool is_typed = false;
    napi_is_typedarray(env, argv[6], &is_typed);
    if (!is_typed) return Fail(env, "excluded must be a Uint8Array or null"), nullptr;
    napi_get_typedarray_info(env, argv[6], &type, &length, &raw, nullptr, nullptr);
    if (type != napi_uint8_array || length * 8 < static_cast<size_t>(row_end)) return Fail(env, "excluded bitmap too short"), nullptr;
    excluded = static_cast<const uint8_t*>(raw);
  }

  napi_value scores_buffer, rows_buffer, scores, rows, result;
  void* scores_raw;
  void* rows_raw;
  size_t out = nq * static_cast<size_t>(k);
  napi_create_arraybuffer(env, out * sizeof(float), &scores_raw, &scores_buffer);
  napi_create_arraybuffer(env, out * sizeof(int32_t), &rows_raw, &rows_buffer);
  float* out_scores = static_cast<float*>(scores_raw);
  int32_t* out_rows = static_cast<int32_t*>(rows_raw);
  try {
    omp_set_num_threads(1);
    size_t ny = static_cast<size_t>(row_end - row_start);
    const float* range = vectors + static_cast<size_t>(row_start) * dim;
    size_t hidden = excluded ? CountExcluded(excluded, row_start, row_end) : 0;
    if (hidden == 0) {
      std::vector<int64_t> labels(out);
      faiss::knn_inner_product(queries, range, dim, nq, ny, k, out_scores, labels.data());
      for (size_t i = 0; i < out; i += 1) out_rows[i] = labels[i] < 0 ? -1 : static_cast<int32_t>(labels[i] + row_start);
    } else if (hidden <= kOverfetchLimit) {
      // A selector would force Faiss off its sgemm path, so fetch `hidden` extra rows
      // and drop the tombstoned ones: still exactly the top k visible rows.
      size_t wide = std::min(ny, static_cast<size_t>(k) + hidden);
      std::vector<float> wide_scores(nq * wide);
      std::vector<int64_t> wide_labels(nq * wide);
      faiss::knn_inner_product(queries, range, dim, nq, ny, wide, wide_scores.data(), wide_labels.data());
      for (size_t q = 0; q < nq; q += 1) {
        size_t kept = 0;
        for (size_t i = 0; i < wide && kept < static_cast<size_t>(k); i += 1) {
          int64_t label = wide_labels[q * wide + i];
          if (label < 0) break;
          size_t row = static_cast<size_t>(label + row_start);
          if ((excluded[row >> 3] >> (row & 7)) & 1) continue;
          out_scores[q * k + kept] = wide_scores[q * wide + i];
          out_rows[q * k + kept] = static_cast<int32_t>(row);
          kept += 1;
        }
        for (; kept < static_cast<size_t>(k); kept += 1) {
          out_scores[q * k + kept] = -std::numeric_limits<float>::infinity();
          out_rows[q * k + kept] = -1;
        }
      }
    } else {
      std::vector<int64_t> labels(out);
      VisibleRows visible(excluded, static_cast<size_t>(row_start));
      faiss::knn_inner_product(queries, range, dim, nq, ny, k, out_scores, labels.data(), &visible);
      for (size_t i = 0; i < out; i += 1) out_rows[i] = labels[i] < 0 ? -1 : static_cast<int32_t>(labels[i] + row_start);
    }
  } catch (const std::exception& error) {
    return Fail(env, std::string("faiss: ") + error.what()), nullptr;
  }
  napi_create_typedarray(env, napi_float32_array, out, scores_buffer, 0, &scores);
  napi_create_typedarray(env, napi_int32_array, out, rows_buffer, 0, &rows);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "scores", scores);
  napi_set_named_property(env, result, "rows", rows);
  return result;
}

// configure(blasDatabaseBlock, blasQueryBlock, blasThreshold): Faiss's block sizes for
// batched (sgemm) search, and from how many queries it takes that path (Faiss: 20; below
// it every query scans the rows on its own, so 8 queries read the rows 8 times).
// Process-wide; set once before searching.
napi_value Configure(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t database_block = 0, query_block = 0, threshold = 0;
  if (argc >= 1) napi_get_value_int32(env, argv[0], &database_block);
  if (argc >= 2) napi_get_value_int32(env, argv[1], &query_block);
  if (argc >= 3) napi_get_value_int32(env, argv[2], &threshold);
  if (database_block > 0) faiss::distance_compute_blas_database_bs = database_block;
  if (query_block > 0) faiss::distance_compute_blas_query_bs = query_block;
  if (threshold > 0) faiss::distance_compute_blas_threshold = threshold;
  return nullptr;
}

napi_value Variant(napi_env env, napi_callback_info) {
  napi_value value;
  napi_create_string_utf8(env, FAISS_VARIANT, NAPI_AUTO_LENGTH, &value);
  return value;
}

// OpenBLAS would start its own threads inside every sgemm; one per call is what we want.
void HoldBlasToOneThread() {
  using SetThreads = void (*)(int);
  auto set_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set_threads) set_threads(1);
}

}  // namespace

NAPI_MODULE_INIT() {
  HoldBlasToOneThread();
  napi_property_descriptor properties[] = {
      {"search", nullptr, Search, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"configure", nullptr, Configure, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"variant", nullptr, Variant, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 3, properties);
  return exports;
}
