// The C API of Cairn's HNSW shim over Debian's header-only hnswlib (0.6.2). Every call returns a status
// code and never lets a C++ exception cross into Swift; `HNSWIndex` in VectorIndex is its only caller.
#ifndef CAIRN_CHNSW_H
#define CAIRN_CHNSW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status codes. Stable: Swift maps them to `VectorIndexError.Code`.
enum {
    CAIRN_HNSW_OK = 0,
    CAIRN_HNSW_INVALID_ARGUMENT = 1,
    CAIRN_HNSW_CAPACITY_EXCEEDED = 2,
    CAIRN_HNSW_LABEL_NOT_FOUND = 3,
    CAIRN_HNSW_IO_ERROR = 4,
    CAIRN_HNSW_CORRUPT = 5,
    CAIRN_HNSW_OUT_OF_MEMORY = 6,
    CAIRN_HNSW_INTERNAL = 7,
    /// Not an error: a filtered search stopped at its distance budget (results are partial).
    CAIRN_HNSW_BUDGET_EXHAUSTED = 8,
    /// Not an error: the query's neighbourhood holds far fewer allowed nodes than the filter's selectivity
    /// (the filter is correlated with the query); the walk stopped early and an exact scan should answer.
    CAIRN_HNSW_FILTER_MISMATCH = 9,
};

/// Distance spaces, as Chroma names them: squared L2, 1 - inner product, 1 - cosine similarity.
enum { CAIRN_HNSW_SPACE_L2 = 0, CAIRN_HNSW_SPACE_IP = 1, CAIRN_HNSW_SPACE_COSINE = 2 };

/// An lookup result for a label that is absent or marked deleted.
#define CAIRN_HNSW_NO_ID UINT32_MAX

typedef struct cairn_hnsw_index cairn_hnsw_index;

/// Error text of the last failing call on this thread (empty when none); valid until the next call.
const char *cairn_hnsw_last_error(void);

/// Which distance kernel the shim picked at run time ("avx2-fma", "sse", or "scalar").
const char *cairn_hnsw_kernel_name(void);

int cairn_hnsw_create(int space, size_t dim, size_t m, size_t ef_construction, size_t capacity, size_t seed,
                      cairn_hnsw_index **out);
/// Loads a file written by `cairn_hnsw_save`; `capacity` 0 keeps the saved capacity.
int cairn_hnsw_load(const char *path, int space, size_t dim, size_t capacity, cairn_hnsw_index **out);
/// A deep copy (graph, vectors, labels, deletion marks): saving the copy gives the same bytes.
int cairn_hnsw_clone(const cairn_hnsw_index *index, cairn_hnsw_index **out);
void cairn_hnsw_free(cairn_hnsw_index *index);

/// Adds (or, for an existing label, replaces) `count` vectors of `dim` floats, on `threads` threads.
int cairn_hnsw_add(cairn_hnsw_index *index, const float *vectors, const uint64_t *labels, size_t count,
                   size_t threads);

/// One vector added in two steps, so that searches run beside most of the work (the log tail's index is built while
/// queries search it). `cairn_hnsw_plan_add` only reads the index (call it under the lock searches share): it draws
/// the new element's level, searches its neighbours and works out every list the insertion changes.
/// `cairn_hnsw_commit_add` (under the exclusive lock, capacity for one more element made first) writes them; a plan
/// another change overtook (or one for a label already there) is carried out as an ordinary add instead. The graph is
/// the one hnswlib's add makes (the same levels from its generator, the same neighbour rule). Free a plan with
/// `cairn_hnsw_free_add_plan`.
typedef struct cairn_hnsw_add_plan cairn_hnsw_add_plan;
int cairn_hnsw_plan_add(cairn_hnsw_index *index, const float *vector, uint64_t label, cairn_hnsw_add_plan **out);
int cairn_hnsw_commit_add(cairn_hnsw_index *index, const cairn_hnsw_add_plan *plan);
void cairn_hnsw_free_add_plan(cairn_hnsw_add_plan *plan);

int cairn_hnsw_mark_deleted(cairn_hnsw_index *index, uint64_t label);
/// Writes the label of every element, by internal id, into `out` (room for `cairn_hnsw_count` labels).
void cairn_hnsw_labels(const cairn_hnsw_index *index, uint64_t *out);
/// Gives element i the label `labels[i]` (`count` must be the element count; labels must be distinct): a graph
/// built under one naming (the log tail's slots) published under another (offset ids). Nothing changes on failure.
int cairn_hnsw_relabel(cairn_hnsw_index *index, const uint64_t *labels, size_t count);
int cairn_hnsw_resize(cairn_hnsw_index *index, size_t capacity);

/// Writes the index to `path` atomically: a temporary file, fsync, size check, rename.
int cairn_hnsw_save(const cairn_hnsw_index *index, const char *path);

size_t cairn_hnsw_count(const cairn_hnsw_index *index);
size_t cairn_hnsw_deleted_count(const cairn_hnsw_index *index);
size_t cairn_hnsw_capacity(const cairn_hnsw_index *index);
size_t cairn_hnsw_dimension(const cairn_hnsw_index *index);
/// Bytes of native memory the index holds (vectors, graph, label maps).
size_t cairn_hnsw_memory_bytes(const cairn_hnsw_index *index);

/// k nearest neighbours, nearest first. `allowed_bits` (optional) is a bitset over labels of `allowed_nbits`
/// bits: only labels whose bit is set are returned, but the walk passes through every node. `max_distances`
/// (0 = none) bounds the distance computations; hitting it returns CAIRN_HNSW_BUDGET_EXHAUSTED.
/// `min_local_fraction` (0 = off): after the first 256 nodes of the walk, if fewer than this fraction were
/// allowed, stop with CAIRN_HNSW_FILTER_MISMATCH.
/// `seeds` (optional) are labels that join the layer-0 entry point as starting nodes: a sample of the allowed
/// set lets the walk reach allowed regions that the unfiltered descent would never lead to.
/// `*found` receives the number of results written (<= k). Deleted labels are never returned.
int cairn_hnsw_search(const cairn_hnsw_index *index, const float *query, size_t k, size_t ef,
                      const uint64_t *allowed_bits, size_t allowed_nbits, const uint32_t *seeds, size_t seed_count,
                      size_t max_distances, double min_local_fraction, uint64_t *labels_out,
                      float *distances_out, size_t *found);

/// Internal ids of `labels` (CAIRN_HNSW_NO_ID when absent or deleted), for brute force over the stored vectors.
void cairn_hnsw_lookup(const cairn_hnsw_index *index, const uint32_t *labels, size_t count, uint32_t *ids_out);
/// The stored vector of an internal id: `base + id * stride` bytes. Valid until the next add or resize.
const char *cairn_hnsw_vectors_base(const cairn_hnsw_index *index);
size_t cairn_hnsw_vectors_stride(const cairn_hnsw_index *index);
/// Copies the stored (for cosine: normalised) vector of `label` into `out` (`dim` floats).
int cairn_hnsw_get_vector(const cairn_hnsw_index *index, uint64_t label, float *out);

/// The shim's own distance between two vectors of `dim` floats (for benchmarks and tests).
float cairn_hnsw_distance(int space, const float *a, const float *b, size_t dim);
/// hnswlib's own distance function, as hnswlib calls it: a pointer and a parameter (the dimension).
typedef float (*cairn_hnswlib_distance_function)(const void *a, const void *b, const void *parameter);
/// hnswlib's own kernel for `space` (L2: squared L2; IP: 1 - a·b) and `dim` floats as this build compiled
/// it (SSE on generic x86_64), for comparison in benchmarks; `*parameter` gets the argument to pass it
/// (valid for the life of the process). NULL for an unknown space.
cairn_hnswlib_distance_function cairn_hnswlib_kernel(int space, size_t dim, const void **parameter);

/// The dot products of `query` (`dim` int8 codes) with each of `count` consecutive rows of `dim` codes at `rows`,
/// into `out[0..<count]`, exact in int32 (for any `dim` below 2^16). The log tail's quantized first pass (VectorIndex's
/// `BruteForce.searchQuantized`) hands it a run of rows at a time; the kernel (AVX2 when present) is picked once.
void cairn_int8_dot_rows(const int8_t *query, const int8_t *rows, size_t count, size_t dim, int32_t *out);

/// A sketch's bound over `count` consecutive rows (VectorIndex's `ProjectionSketch`): each row's largest possible dot
/// product with the query, `query_scale * row_scales[r] * (query_codes · row codes) + row_scales[r] * slack +
/// query_left_out * row_left_out[r]`, made the smallest distance it allows in `space` (L2: `query_norm +
/// squared_norms[r] - 2 dot`; IP: `1 - dot`; cosine: `1 - dot / sqrt(query_norm * squared_norms[r])`, 1 for a zero
/// vector). Writes the indices of the rows whose bound is below `threshold` to `admitted` and returns how many (a NaN
/// bound is never below), in increasing order. `dots` is scratch room for `count` values. With AVX2, sketches of 16 to
/// 64 components (a multiple of 16) are bounded eight rows at a time.
size_t cairn_sketch_admit(const int8_t *query_codes, const int8_t *rows, size_t count, size_t components,
                          const float *row_scales, const float *row_left_out, const float *squared_norms,
                          float query_scale, float slack, float query_left_out, float query_norm, int space,
                          float threshold, int32_t *dots, uint32_t *admitted);

/// The dot products of `query` (`dim` int8 codes) with the rows `picked[0..<count]` (row numbers) of the codes at
/// `rows`, into `out[0..<count]`: the rows a sketch admitted, fetched a few ahead so that their misses overlap.
void cairn_int8_dot_picked(const int8_t *query, const int8_t *rows, size_t dim, const uint32_t *picked, size_t count,
                           int32_t *out);

/// ThreadSanitizer annotations (no-ops unless this target is built with -sanitize=thread): Synchronization's
/// Mutex locks through futex calls TSan does not see, so `LockedState` tells it about the happens-before.
void cairn_tsan_acquire(const void *address);
void cairn_tsan_release(const void *address);

/// A prefetch hint Swift can inline (Swift has no prefetch of its own): brute force over scattered allowed ids
/// is bound by memory latency, and asking for the next vectors early overlaps their misses.
static inline void cairn_hnsw_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#ifdef __cplusplus
}
#endif
#endif
