// Cairn's HNSW shim: the one translation unit that includes hnswlib.h (it defines non-inline functions),
// an extern "C" API that turns every C++ exception into a status code, our own distance kernels picked at
// run time, and a filtered search written over hnswlib's public members (0.6.2 has no filter functor).
#include "chnsw.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <queue>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CAIRN_X86 1
#endif

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CAIRN_TSAN 1
extern "C" void __tsan_acquire(void *address);
extern "C" void __tsan_release(void *address);
#endif
#endif

using hnswlib::HierarchicalNSW;
using hnswlib::labeltype;
using hnswlib::tableint;

namespace {

thread_local std::string last_error;

int fail(int code, const std::string &message) {
    last_error = message;
    return code;
}

// MARK: Distance kernels. hnswlib picks its SIMD kernels at compile time (SSE on a generic x86_64 build);
// these pick AVX2+FMA at run time when the CPU has it, so a portable binary still uses the wide units.

float l2_scalar(const float *a, const float *b, size_t d) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
        float t0 = a[i] - b[i], t1 = a[i + 1] - b[i + 1], t2 = a[i + 2] - b[i + 2], t3 = a[i + 3] - b[i + 3];
        s0 += t0 * t0; s1 += t1 * t1; s2 += t2 * t2; s3 += t3 * t3;
    }
    for (; i < d; ++i) { float t = a[i] - b[i]; s0 += t * t; }
    return (s0 + s1) + (s2 + s3);
}

float dot_scalar(const float *a, const float *b, size_t d) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
        s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3];
    }
    for (; i < d; ++i) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

#ifdef CAIRN_X86
float l2_sse(const float *a, const float *b, size_t d) {
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= d; i += 8) {
        __m128 t0 = _mm_sub_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i));
        __m128 t1 = _mm_sub_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4));
        s0 = _mm_add_ps(s0, _mm_mul_ps(t0, t0));
        s1 = _mm_add_ps(s1, _mm_mul_ps(t1, t1));
    }
    float lanes[4];
    _mm_storeu_ps(lanes, _mm_add_ps(s0, s1));
    float r = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < d; ++i) { float t = a[i] - b[i]; r += t * t; }
    return r;
}

float dot_sse(const float *a, const float *b, size_t d) {
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= d; i += 8) {
        s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
        s1 = _mm_add_ps(s1, _mm_mul_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4)));
    }
    float lanes[4];
    _mm_storeu_ps(lanes, _mm_add_ps(s0, s1));
    float r = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < d; ++i) r += a[i] * b[i];
    return r;
}

__attribute__((target("avx2,fma"))) float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float l2_avx2(const float *a, const float *b, size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        s0 = _mm256_fmadd_ps(t0, t0, s0);
        s1 = _mm256_fmadd_ps(t1, t1, s1);
    }
    for (; i + 8 <= d; i += 8) {
        __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(t0, t0, s0);
    }
    float r = hsum256(_mm256_add_ps(s0, s1));
    for (; i < d; ++i) { float t = a[i] - b[i]; r += t * t; }
    return r;
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float *a, const float *b, size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float r = hsum256(_mm256_add_ps(s0, s1));
    for (; i < d; ++i) r += a[i] * b[i];
    return r;
}
#endif

// Dot products of int8 codes (the log tail's quantized first pass, see cairn_int8_dot_rows): exact in int32
// for any dimension below 2^16 (each product is at most 127 * 127).
int32_t int8_dot_scalar(const int8_t *a, const int8_t *b, size_t d) {
    int32_t r = 0;
    for (size_t i = 0; i < d; ++i) r += int32_t(a[i]) * int32_t(b[i]);
    return r;
}

#ifdef CAIRN_X86
__attribute__((target("avx2"))) int32_t int8_dot_avx2(const int8_t *a, const int8_t *b, size_t d) {
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(a + i)));
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(b + i)));
        __m256i a1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(a + i + 16)));
        __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(b + i + 16)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(a0, b0));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(a1, b1));
    }
    __m256i s = _mm256_add_epi32(s0, s1);
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
    int32_t r = _mm_cvtsi128_si32(h);
    for (; i < d; ++i) r += int32_t(a[i]) * int32_t(b[i]);
    return r;
}
#endif

// The dot products of one query's codes with `count` consecutive rows of codes: the kernel inlined in the loop, so
// a scan of a run of rows costs no call per row.
void int8_dot_rows_scalar(const int8_t *q, const int8_t *rows, size_t count, size_t d, int32_t *out) {
    for (size_t r = 0; r < count; ++r) out[r] = int8_dot_scalar(q, rows + r * d, d);
}

#ifdef CAIRN_X86
// Sixteen codes at `x` times sixteen int16 values, summed in pairs (eight int32).
__attribute__((target("avx2"))) inline __m256i int8_madd16_avx2(__m256i wide, const int8_t *x) {
    return _mm256_madd_epi16(wide, _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(x))));
}

// Four rows at a time against the query widened to int16 once: one horizontal reduction per four rows instead of
// one per row (about 1.6x the rows per second on codes in cache). Other dimensions go row by row.
__attribute__((target("avx2"))) void int8_dot_rows_avx2(
    const int8_t *q, const int8_t *rows, size_t count, size_t d, int32_t *out) {
    constexpr size_t widest = 4096;
    size_t r = 0;
    if (d % 16 == 0 && d <= widest) {
        alignas(32) int16_t wide[widest];
        for (size_t i = 0; i < d; ++i) wide[i] = q[i];
        for (; r + 4 <= count; r += 4) {
            const int8_t *x0 = rows + r * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
            __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
            for (size_t i = 0; i < d; i += 16) {
                __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i *>(wide + i));
                s0 = _mm256_add_epi32(s0, int8_madd16_avx2(w, x0 + i));
                s1 = _mm256_add_epi32(s1, int8_madd16_avx2(w, x1 + i));
                s2 = _mm256_add_epi32(s2, int8_madd16_avx2(w, x2 + i));
                s3 = _mm256_add_epi32(s3, int8_madd16_avx2(w, x3 + i));
            }
            // Pairwise sums within each 128-bit lane, then the two lanes: [row 0, row 1, row 2, row 3].
            __m256i sums = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
            __m128i four = _mm_add_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
            _mm_storeu_si128(reinterpret_cast<__m128i *>(out + r), four);
        }
    }
    for (; r < count; ++r) out[r] = int8_dot_avx2(q, rows + r * d, d);
}
#endif

using Kernel = float (*)(const float *, const float *, size_t);

struct Kernels {
    Kernel l2;
    Kernel dot;
    const char *name;
};

Kernels pick_kernels() {
#ifdef CAIRN_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {l2_avx2, dot_avx2, "avx2-fma"};
    return {l2_sse, dot_sse, "sse"};
#else
    return {l2_scalar, dot_scalar, "scalar"};
#endif
}

const Kernels &kernels() {
    static const Kernels chosen = pick_kernels();
    return chosen;
}

float l2_distance(const void *a, const void *b, const void *param) {
    return kernels().l2(static_cast<const float *>(a), static_cast<const float *>(b),
                        *static_cast<const size_t *>(param));
}

float ip_distance(const void *a, const void *b, const void *param) {
    return 1.0f - kernels().dot(static_cast<const float *>(a), static_cast<const float *>(b),
                                *static_cast<const size_t *>(param));
}

/// hnswlib's space interface with our kernels. Cosine is inner product over normalised vectors.
class CairnSpace : public hnswlib::SpaceInterface<float> {
  public:
    CairnSpace(int space, size_t dim) : space_(space), dim_(dim) {}
    size_t get_data_size() override { return dim_ * sizeof(float); }
    hnswlib::DISTFUNC<float> get_dist_func() override {
        return space_ == CAIRN_HNSW_SPACE_L2 ? l2_distance : ip_distance;
    }
    void *get_dist_func_param() override { return &dim_; }
    int space() const { return space_; }
    size_t dim() const { return dim_; }

  private:
    int space_;
    size_t dim_;
};

bool valid_space(int space) {
    return space == CAIRN_HNSW_SPACE_L2 || space == CAIRN_HNSW_SPACE_IP || space == CAIRN_HNSW_SPACE_COSINE;
}

void normalise(const float *in, float *out, size_t dim) {
    float norm = std::sqrt(dot_scalar(in, in, dim));
    float scale = norm > 0 ? 1.0f / norm : 0.0f;
    for (size_t i = 0; i < dim; ++i) out[i] = in[i] * scale;
}

/// The byte size of hnswlib 0.6.2's file header (see saveIndex): 11 size_t/double fields and two ints.
constexpr size_t kHeaderBytes = 11 * 8 + 2 * 4;

/// Exception-to-status translation shared by every entry point.
template <typename Body>
int guarded(const char *what, Body &&body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return fail(CAIRN_HNSW_OUT_OF_MEMORY, std::string(what) + ": out of memory");
    } catch (const std::exception &e) {
        return fail(CAIRN_HNSW_INTERNAL, std::string(what) + ": " + e.what());
    } catch (...) {
        return fail(CAIRN_HNSW_INTERNAL, std::string(what) + ": unknown C++ exception");
    }
}

}  // namespace

struct cairn_hnsw_index {
    std::unique_ptr<CairnSpace> space;
    std::unique_ptr<HierarchicalNSW<float>> hnsw;
    /// label -> internal id + 1 (0 = absent) for labels below 2^32 in a dense range: brute force over an
    /// allowed set of offset ids resolves each id with one load instead of an unordered_map probe.
    std::vector<uint32_t> dense;
    /// Bumped by every change to the graph or its labels: a two-step add planned before a change is worked out again.
    uint64_t generation = 0;
    /// Held while a two-step add draws its level from hnswlib's generator (plans run under a shared lock, two may
    /// run at once; hnswlib's own adds draw under the exclusive one).
    std::mutex levels_lock;

    void note_label(labeltype label, tableint id) {
        if (label >= (labeltype(1) << 32) - 1) return;
        if (label >= dense.size()) {
            // Bound the table: a few labels far out would otherwise cost gigabytes.
            size_t limit = 4 * std::max<size_t>(hnsw->max_elements_, 1) + (size_t(1) << 20);
            if (label >= limit) return;
            dense.resize(std::max<size_t>(label + 1, dense.size() + dense.size() / 2), 0);
        }
        dense[label] = id + 1;
    }

    void rebuild_dense() {
        dense.clear();
        for (size_t i = 0; i < hnsw->cur_element_count; ++i) note_label(hnsw->getExternalLabel(i), tableint(i));
    }

    uint32_t internal_id(uint64_t label) const {
        if (label < dense.size()) {
            uint32_t v = dense[label];
            return v == 0 ? CAIRN_HNSW_NO_ID : v - 1;
        }
        auto found = hnsw->label_lookup_.find(label);
        return found == hnsw->label_lookup_.end() ? CAIRN_HNSW_NO_ID : found->second;
    }
};

namespace {

/// Best-first search of layer 0 from `entry`. Nodes failing `allowed` (or deleted) still route the walk but
/// never enter the result set; the walk stops when no candidate can improve a full result set.
template <bool kFiltered>
int search_layer0(const cairn_hnsw_index *index, tableint entry, const float *query, size_t ef,
                  const uint64_t *bits, size_t nbits, const uint32_t *seeds, size_t seed_count,
                  size_t max_distances, double min_local_fraction,
                  std::priority_queue<std::pair<float, tableint>> &top) {
    const HierarchicalNSW<float> *h = index->hnsw.get();
    const bool has_deleted = h->num_deleted_ > 0;
    auto accepted = [&](tableint id) {
        if (has_deleted && h->isMarkedDeleted(id)) return false;
        if (!kFiltered) return true;
        labeltype label = h->getExternalLabel(id);
        return label < nbits && ((bits[label >> 6] >> (label & 63)) & 1);
    };
    hnswlib::VisitedList *visited = h->visited_list_pool_->getFreeVisitedList();
    hnswlib::vl_type *marks = visited->mass;
    hnswlib::vl_type tag = visited->curV;
    auto dist = h->fstdistfunc_;
    void *param = h->dist_func_param_;

    // Min-heap of candidates by distance (stored negated in a max-heap).
    std::priority_queue<std::pair<float, tableint>> candidates;
    float bound = std::numeric_limits<float>::max();
    float d0 = dist(query, h->getDataByInternalId(entry), param);
    size_t computed = 1;
    if (accepted(entry)) {
        top.emplace(d0, entry);
        bound = d0;
    }
    candidates.emplace(-d0, entry);
    marks[entry] = tag;
    for (size_t i = 0; i < seed_count; ++i) {
        uint32_t id = index->internal_id(seeds[i]);
        if (id == CAIRN_HNSW_NO_ID || marks[id] == tag) continue;
        marks[id] = tag;
        float d = dist(query, h->getDataByInternalId(id), param);
        ++computed;
        candidates.emplace(-d, id);
        if (accepted(id)) {
            top.emplace(d, id);
            if (top.size() > ef) top.pop();
            bound = top.top().first;
        }
    }
    int status = CAIRN_HNSW_OK;
    // How many of the walk's own first nodes (seeds excluded) were allowed: a filter correlated with the query
    // leaves its neighbourhood empty of allowed nodes, where a walk is slow and misses results.
    constexpr size_t kProbe = 256;
    size_t probed = 0, probed_allowed = 0;
    bool probing = kFiltered && min_local_fraction > 0;

    while (!candidates.empty()) {
        auto current = candidates.top();
        if (-current.first > bound && top.size() >= ef) break;
        candidates.pop();
        const tableint *links = reinterpret_cast<const tableint *>(h->get_linklist0(current.second));
        size_t size = h->getListCount(const_cast<tableint *>(links));
#ifdef CAIRN_X86
        if (size > 0) _mm_prefetch(h->getDataByInternalId(links[1]), _MM_HINT_T0);
#endif
        for (size_t j = 1; j <= size; ++j) {
            tableint id = links[j];
#ifdef CAIRN_X86
            if (j < size) {
                _mm_prefetch(reinterpret_cast<const char *>(marks + links[j + 1]), _MM_HINT_T0);
                _mm_prefetch(h->getDataByInternalId(links[j + 1]), _MM_HINT_T0);
            }
#endif
            if (marks[id] == tag) continue;
            marks[id] = tag;
            float d = dist(query, h->getDataByInternalId(id), param);
            ++computed;
            bool ok = accepted(id);
            if (probing) {
                ++probed;
                probed_allowed += ok ? 1 : 0;
            }
            if (top.size() < ef || d < bound) {
                candidates.emplace(-d, id);
                if (ok) {
                    top.emplace(d, id);
                    if (top.size() > ef) top.pop();
                    bound = top.top().first;
                }
            }
        }
        if (probing && probed >= kProbe) {
            probing = false;
            if (double(probed_allowed) < min_local_fraction * double(probed)) {
                status = CAIRN_HNSW_FILTER_MISMATCH;
                break;
            }
        }
        if (max_distances != 0 && computed >= max_distances) {
            status = CAIRN_HNSW_BUDGET_EXHAUSTED;
            break;
        }
    }
    h->visited_list_pool_->releaseVisitedList(visited);
    return status;
}

}  // namespace

extern "C" {

const char *cairn_hnsw_last_error(void) { return last_error.c_str(); }

void cairn_tsan_acquire(const void *address) {
#ifdef CAIRN_TSAN
    __tsan_acquire(const_cast<void *>(address));
#else
    (void)address;
#endif
}

void cairn_tsan_release(const void *address) {
#ifdef CAIRN_TSAN
    __tsan_release(const_cast<void *>(address));
#else
    (void)address;
#endif
}

const char *cairn_hnsw_kernel_name(void) { return kernels().name; }

float cairn_hnsw_distance(int space, const float *a, const float *b, size_t dim) {
    if (space == CAIRN_HNSW_SPACE_L2) return kernels().l2(a, b, dim);
    return 1.0f - kernels().dot(a, b, dim);
}

void cairn_int8_dot_rows(const int8_t *query, const int8_t *rows, size_t count, size_t dim, int32_t *out) {
    using Rows = void (*)(const int8_t *, const int8_t *, size_t, size_t, int32_t *);
    static const Rows picked = [] {
#ifdef CAIRN_X86
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2")) return Rows(int8_dot_rows_avx2);
#endif
        return Rows(int8_dot_rows_scalar);
    }();
    picked(query, rows, count, dim, out);
}

namespace {
// The bound of one row, as cairn_sketch_admit documents it (the scalar form; the AVX2 kernel below computes the same
// eight rows at a time).
inline float sketch_bound_scalar(int32_t dot_codes, float row_scale, float row_left_out, float squared_norm,
                                 float query_scale, float slack, float query_left_out, float query_norm, int space) {
    float dot = row_scale * (query_scale * float(dot_codes) + slack) + query_left_out * row_left_out;
    if (space == CAIRN_HNSW_SPACE_L2) return query_norm + squared_norm - 2 * dot;
    if (space == CAIRN_HNSW_SPACE_IP) return 1 - dot;
    float lengths = std::sqrt(query_norm * squared_norm);
    return lengths > 0 ? 1 - dot / lengths : 1.0f;
}

size_t sketch_admit_scalar(const int8_t *query_codes, const int8_t *rows, size_t count, size_t components,
                           const float *row_scales, const float *row_left_out, const float *squared_norms,
                           float query_scale, float slack, float query_left_out, float query_norm, int space,
                           float threshold, int32_t *dots, uint32_t *admitted) {
    cairn_int8_dot_rows(query_codes, rows, count, components, dots);
    size_t n = 0;
    for (size_t r = 0; r < count; ++r) {
        // Branch-free: the index is written always, kept when admitted.
        admitted[n] = uint32_t(r);
        n += sketch_bound_scalar(dots[r], row_scales[r], row_left_out[r], squared_norms[r], query_scale, slack,
                                 query_left_out, query_norm, space) < threshold;
    }
    return n;
}

#ifdef CAIRN_X86
// The dot products of eight consecutive rows of `d` codes (a multiple of 16) with the query widened to int16, in row
// order: one reduction tree for the eight instead of one per row.
__attribute__((target("avx2"))) inline __m256i int8_dot8_avx2(const int16_t *wide, const int8_t *x, size_t d) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (size_t i = 0; i < d; i += 16) {
        __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i *>(wide + i));
        s0 = _mm256_add_epi32(s0, int8_madd16_avx2(w, x + i));
        s1 = _mm256_add_epi32(s1, int8_madd16_avx2(w, x + d + i));
        s2 = _mm256_add_epi32(s2, int8_madd16_avx2(w, x + 2 * d + i));
        s3 = _mm256_add_epi32(s3, int8_madd16_avx2(w, x + 3 * d + i));
        s4 = _mm256_add_epi32(s4, int8_madd16_avx2(w, x + 4 * d + i));
        s5 = _mm256_add_epi32(s5, int8_madd16_avx2(w, x + 5 * d + i));
        s6 = _mm256_add_epi32(s6, int8_madd16_avx2(w, x + 6 * d + i));
        s7 = _mm256_add_epi32(s7, int8_madd16_avx2(w, x + 7 * d + i));
    }
    // Pairwise sums twice: low lanes hold rows 0-3 (then 4-7) summed over their first four int32, high lanes over
    // their last four; the two halves added give the eight rows' sums.
    __m256i low = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
    __m256i high = _mm256_hadd_epi32(_mm256_hadd_epi32(s4, s5), _mm256_hadd_epi32(s6, s7));
    return _mm256_add_epi32(_mm256_permute2x128_si256(low, high, 0x20), _mm256_permute2x128_si256(low, high, 0x31));
}

// cairn_sketch_admit eight rows at a time: the codes' dot products and the bound in vector registers, then only the
// (few) admitted rows leave them. Sketches of 16 or 32 components (any multiple of 16 up to 64).
__attribute__((target("avx2,fma"))) size_t sketch_admit_avx2(
    const int8_t *query_codes, const int8_t *rows, size_t count, size_t components, const float *row_scales,
    const float *row_left_out, const float *squared_norms, float query_scale, float slack, float query_left_out,
    float query_norm, int space, float threshold, int32_t *dots, uint32_t *admitted) {
    alignas(32) int16_t wide[64];
    for (size_t i = 0; i < components; ++i) wide[i] = query_codes[i];
    const __m256 scale = _mm256_set1_ps(query_scale), slacks = _mm256_set1_ps(slack),
                 left_out = _mm256_set1_ps(query_left_out), norm = _mm256_set1_ps(query_norm),
                 below = _mm256_set1_ps(threshold), one = _mm256_set1_ps(1), two = _mm256_set1_ps(2),
                 zero = _mm256_setzero_ps();
    size_t r = 0, n = 0;
    for (; r + 8 <= count; r += 8) {
        __m256 codes_dot = _mm256_cvtepi32_ps(int8_dot8_avx2(wide, rows + r * components, components));
        __m256 dot = _mm256_add_ps(
            _mm256_mul_ps(_mm256_loadu_ps(row_scales + r), _mm256_add_ps(_mm256_mul_ps(scale, codes_dot), slacks)),
            _mm256_mul_ps(left_out, _mm256_loadu_ps(row_left_out + r)));
        __m256 bound;
        if (space == CAIRN_HNSW_SPACE_L2) {
            bound = _mm256_sub_ps(_mm256_add_ps(norm, _mm256_loadu_ps(squared_norms + r)), _mm256_mul_ps(two, dot));
        } else if (space == CAIRN_HNSW_SPACE_IP) {
            bound = _mm256_sub_ps(one, dot);
        } else {
            __m256 lengths = _mm256_sqrt_ps(_mm256_mul_ps(norm, _mm256_loadu_ps(squared_norms + r)));
            // A zero (or NaN) length makes the bound 1, as in the scalar form.
            bound = _mm256_blendv_ps(one, _mm256_sub_ps(one, _mm256_div_ps(dot, lengths)),
                                     _mm256_cmp_ps(lengths, zero, _CMP_GT_OQ));
        }
        // A NaN bound compares false: never admitted.
        unsigned mask = unsigned(_mm256_movemask_ps(_mm256_cmp_ps(bound, below, _CMP_LT_OQ)));
        while (mask) {
            admitted[n++] = uint32_t(r + unsigned(__builtin_ctz(mask)));
            mask &= mask - 1;
        }
    }
    if (r < count) {
        size_t more = sketch_admit_scalar(query_codes, rows + r * components, count - r, components, row_scales + r,
                                          row_left_out + r, squared_norms + r, query_scale, slack, query_left_out,
                                          query_norm, space, threshold, dots, admitted + n);
        for (size_t i = 0; i < more; ++i) admitted[n + i] += uint32_t(r);
        n += more;
    }
    return n;
}
#endif
}  // namespace

size_t cairn_sketch_admit(const int8_t *query_codes, const int8_t *rows, size_t count, size_t components,
                          const float *row_scales, const float *row_left_out, const float *squared_norms,
                          float query_scale, float slack, float query_left_out, float query_norm, int space,
                          float threshold, int32_t *dots, uint32_t *admitted) {
#ifdef CAIRN_X86
    static const bool avx2 = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    if (avx2 && components % 16 == 0 && components <= 64 && components > 0)
        return sketch_admit_avx2(query_codes, rows, count, components, row_scales, row_left_out, squared_norms,
                                 query_scale, slack, query_left_out, query_norm, space, threshold, dots, admitted);
#endif
    return sketch_admit_scalar(query_codes, rows, count, components, row_scales, row_left_out, squared_norms,
                               query_scale, slack, query_left_out, query_norm, space, threshold, dots, admitted);
}

void cairn_int8_dot_picked(const int8_t *query, const int8_t *rows, size_t dim, const uint32_t *picked, size_t count,
                           int32_t *out) {
    // The picked rows are scattered: their lines are asked for a few rows ahead, so the misses overlap.
    constexpr size_t ahead = 4;
    auto prefetch = [&](size_t i) {
        const int8_t *row = rows + size_t(picked[i]) * dim;
        for (size_t line = 0; line < dim; line += 64) __builtin_prefetch(row + line);
    };
    for (size_t i = 0; i < std::min(ahead, count); ++i) prefetch(i);
    for (size_t i = 0; i < count; ++i) {
        if (i + ahead < count) prefetch(i + ahead);
        cairn_int8_dot_rows(query, rows + size_t(picked[i]) * dim, 1, dim, out + i);
    }
}

cairn_hnswlib_distance_function cairn_hnswlib_kernel(int space, size_t dim, const void **parameter) {
    hnswlib::SpaceInterface<float> *made = nullptr;
    if (space == CAIRN_HNSW_SPACE_L2) made = new hnswlib::L2Space(dim);
    else if (space == CAIRN_HNSW_SPACE_IP) made = new hnswlib::InnerProductSpace(dim);
    if (!made) return nullptr;
    // Kept for the life of the process (a benchmark asks for a few): the parameter points into it.
    *parameter = made->get_dist_func_param();
    return made->get_dist_func();
}

int cairn_hnsw_create(int space, size_t dim, size_t m, size_t ef_construction, size_t capacity, size_t seed,
                      cairn_hnsw_index **out) {
    last_error.clear();
    if (!out) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "create: no output pointer");
    *out = nullptr;
    if (!valid_space(space)) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "create: unknown space " + std::to_string(space));
    if (dim == 0 || dim > 65536) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "create: dimension must be 1...65536");
    if (m < 2 || m > 2048) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "create: M must be 2...2048");
    if (ef_construction == 0) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "create: ef_construction must be positive");
    return guarded("create", [&]() -> int {
        auto index = std::make_unique<cairn_hnsw_index>();
        index->space = std::make_unique<CairnSpace>(space, dim);
        index->hnsw = std::make_unique<HierarchicalNSW<float>>(index->space.get(), std::max<size_t>(capacity, 1), m,
                                                               ef_construction, seed);
        *out = index.release();
        return CAIRN_HNSW_OK;
    });
}

int cairn_hnsw_load(const char *path, int space, size_t dim, size_t capacity, cairn_hnsw_index **out) {
    last_error.clear();
    if (!out || !path) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "load: missing argument");
    *out = nullptr;
    if (!valid_space(space) || dim == 0) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "load: bad space or dimension");
    // Check the header before hnswlib trusts it (it would allocate whatever sizes the file names).
    FILE *file = std::fopen(path, "rb");
    if (!file) return fail(CAIRN_HNSW_IO_ERROR, std::string("load: cannot open ") + path + ": " + std::strerror(errno));
    unsigned char header[kHeaderBytes];
    size_t got = std::fread(header, 1, kHeaderBytes, file);
    std::fseek(file, 0, SEEK_END);
    long file_size = std::ftell(file);
    std::fclose(file);
    if (got != kHeaderBytes) return fail(CAIRN_HNSW_CORRUPT, "load: file shorter than the HNSW header");
    size_t fields[6];
    std::memcpy(fields, header, sizeof(fields));
    size_t max_elements = fields[1], count = fields[2], per_element = fields[3], label_offset = fields[4],
           data_offset = fields[5];
    size_t max_m0;
    std::memcpy(&max_m0, header + 6 * 8 + 2 * 4 + 8, sizeof(size_t));
    size_t expected_per_element = (max_m0 * sizeof(tableint) + sizeof(hnswlib::linklistsizeint)) +
                                  dim * sizeof(float) + sizeof(labeltype);
    if (count > max_elements || per_element != expected_per_element ||
        data_offset != max_m0 * sizeof(tableint) + sizeof(hnswlib::linklistsizeint) ||
        label_offset != data_offset + dim * sizeof(float)) {
        return fail(CAIRN_HNSW_CORRUPT, "load: header does not describe a " + std::to_string(dim) +
                                            "-dimensional index (wrong dimension or not an HNSW file)");
    }
    if (file_size < 0 || size_t(file_size) < kHeaderBytes + count * per_element + count * 4) {
        return fail(CAIRN_HNSW_CORRUPT, "load: file is truncated");
    }
    if (capacity != 0 && capacity < count) {
        return fail(CAIRN_HNSW_INVALID_ARGUMENT, "load: capacity below the saved element count");
    }
    return guarded("load", [&]() -> int {
        auto index = std::make_unique<cairn_hnsw_index>();
        index->space = std::make_unique<CairnSpace>(space, dim);
        try {
            index->hnsw = std::make_unique<HierarchicalNSW<float>>(index->space.get(), std::string(path), false,
                                                                   capacity);
        } catch (const std::runtime_error &e) {
            return fail(CAIRN_HNSW_CORRUPT, std::string("load: ") + e.what());
        }
        // loadIndex adds to num_deleted_ without initialising it: recount.
        HierarchicalNSW<float> *h = index->hnsw.get();
        size_t deleted = 0;
        for (size_t i = 0; i < h->cur_element_count; ++i) deleted += h->isMarkedDeleted(tableint(i)) ? 1 : 0;
        h->num_deleted_ = deleted;
        index->rebuild_dense();
        *out = index.release();
        return CAIRN_HNSW_OK;
    });
}

int cairn_hnsw_clone(const cairn_hnsw_index *source, cairn_hnsw_index **out) {
    last_error.clear();
    if (!source || !out) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "clone: missing argument");
    *out = nullptr;
    return guarded("clone", [&]() -> int {
        const HierarchicalNSW<float> *s = source->hnsw.get();
        auto index = std::make_unique<cairn_hnsw_index>();
        index->space = std::make_unique<CairnSpace>(source->space->space(), source->space->dim());
        index->hnsw = std::make_unique<HierarchicalNSW<float>>(index->space.get(), s->max_elements_, s->M_,
                                                               s->ef_construction_, 100);
        HierarchicalNSW<float> *c = index->hnsw.get();
        if (c->size_data_per_element_ != s->size_data_per_element_ || c->maxM0_ != s->maxM0_) {
            return fail(CAIRN_HNSW_INTERNAL, "clone: layout of the copy differs from the source");
        }
        std::memcpy(c->data_level0_memory_, s->data_level0_memory_, s->cur_element_count * s->size_data_per_element_);
        for (size_t i = 0; i < s->cur_element_count; ++i) {
            int level = s->element_levels_[i];
            c->element_levels_[i] = level;
            if (level > 0) {
                size_t bytes = s->size_links_per_element_ * level + 1;
                c->linkLists_[i] = static_cast<char *>(std::malloc(bytes));
                if (!c->linkLists_[i]) {
                    c->cur_element_count = i;  // the destructor frees what was allocated so far
                    throw std::bad_alloc();
                }
                std::memcpy(c->linkLists_[i], s->linkLists_[i], bytes);
            }
            c->cur_element_count = i + 1;
        }
        c->label_lookup_ = s->label_lookup_;
        c->num_deleted_ = s->num_deleted_;
        c->enterpoint_node_ = s->enterpoint_node_;
        c->maxlevel_ = s->maxlevel_;
        c->mult_ = s->mult_;
        c->ef_ = s->ef_;
        index->dense = source->dense;
        *out = index.release();
        return CAIRN_HNSW_OK;
    });
}

void cairn_hnsw_free(cairn_hnsw_index *index) { delete index; }

namespace {
// The error of an add that would take the index past its capacity (the caller grows it first).
int capacity_exceeded(const HierarchicalNSW<float> *h, size_t wanted) {
    return fail(CAIRN_HNSW_CAPACITY_EXCEEDED, "add: " + std::to_string(wanted) + " elements exceed the capacity of " +
                                                  std::to_string(h->max_elements_));
}
}  // namespace

int cairn_hnsw_add(cairn_hnsw_index *index, const float *vectors, const uint64_t *labels, size_t count,
                   size_t threads) {
    last_error.clear();
    if (!index || (count > 0 && (!vectors || !labels))) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "add: missing argument");
    HierarchicalNSW<float> *h = index->hnsw.get();
    size_t fresh = 0;
    for (size_t i = 0; i < count; ++i) fresh += h->label_lookup_.count(labels[i]) ? 0 : 1;
    if (h->cur_element_count + fresh > h->max_elements_) {
        return capacity_exceeded(h, h->cur_element_count + fresh);
    }
    size_t dim = index->space->dim();
    bool cosine = index->space->space() == CAIRN_HNSW_SPACE_COSINE;
    std::atomic<size_t> next{0};
    std::atomic<int> status{CAIRN_HNSW_OK};
    std::string first_error;
    std::mutex error_lock;
    auto worker = [&] {
        std::vector<float> scratch(cosine ? dim : 0);
        while (status.load(std::memory_order_relaxed) == CAIRN_HNSW_OK) {
            size_t i = next.fetch_add(1);
            if (i >= count) break;
            const float *v = vectors + i * dim;
            if (cosine) {
                normalise(v, scratch.data(), dim);
                v = scratch.data();
            }
            int rc = guarded("add", [&]() -> int {
                h->addPoint(v, labels[i]);
                return CAIRN_HNSW_OK;
            });
            if (rc != CAIRN_HNSW_OK) {
                std::lock_guard<std::mutex> guard(error_lock);
                if (first_error.empty()) first_error = last_error;
                status.store(rc);
            }
        }
    };
    size_t workers = std::max<size_t>(1, std::min(threads, count / 64 + 1));
    if (workers == 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        try {
            for (size_t t = 0; t < workers; ++t) pool.emplace_back(worker);
        } catch (...) {
            status.store(CAIRN_HNSW_INTERNAL);
            first_error = "add: could not start threads";
        }
        for (auto &thread : pool) thread.join();
    }
    index->generation++;
    // The dense label table is written here, on one thread, after the parallel inserts.
    int table = guarded("add", [&]() -> int {
        for (size_t i = 0; i < count; ++i) {
            auto found = h->label_lookup_.find(labels[i]);
            if (found != h->label_lookup_.end()) index->note_label(labels[i], found->second);
        }
        return CAIRN_HNSW_OK;
    });
    if (status.load() != CAIRN_HNSW_OK) return fail(status.load(), first_error);
    return table;
}

// The two-step add (see chnsw.h). The plan is the whole of an insertion's reading: the new element's level, the
// greedy descent to it, the search of each of its levels for ef_construction candidates, the heuristic's choice of
// its neighbours, and for each neighbour the list it will hold (the new element appended, or, when the list is full,
// the heuristic's choice among its old neighbours and the new element). The commit only writes what was planned.
struct cairn_hnsw_add_plan {
    std::vector<float> vector;  // normalised for the cosine space
    uint64_t label = 0;
    /// The label is in the index already: the commit updates it through hnswlib's own add.
    bool existing = false;
    uint64_t generation = 0;
    tableint id = 0;
    int level = 0;
    bool becomes_entry = false;
    struct List {
        tableint node;  // the new element itself, or a neighbour
        int level;
        std::vector<tableint> members;
    };
    std::vector<List> lists;
};

extern "C++" {
namespace {
using Candidates = std::vector<std::pair<float, tableint>>;

// The HNSW neighbour heuristic (Malkov & Yashunin, algorithm 4, without extension): from `candidates` (distance to
// the base, id), nearest first, keep one unless a kept one is nearer to it than the base is; at most `limit`. Fewer
// candidates than `limit` are all kept (as hnswlib keeps them). `distance` measures between two ids (the element
// being planned is not in the index yet). Kept farthest first, as hnswlib lays out lists.
template <typename Distance>
std::vector<tableint> choose_neighbours(Candidates candidates, size_t limit, Distance distance) {
    std::sort(candidates.begin(), candidates.end(),
              [](const auto &a, const auto &b) { return a.first < b.first || (a.first == b.first && a.second < b.second); });
    Candidates kept;
    if (candidates.size() < limit) {
        kept = std::move(candidates);
    } else {
        kept.reserve(limit);
        for (const auto &candidate : candidates) {
            if (kept.size() >= limit) break;
            bool diverse = std::none_of(kept.begin(), kept.end(), [&](const auto &other) {
                return distance(other.second, candidate.second) < candidate.first;
            });
            if (diverse) kept.push_back(candidate);
        }
    }
    std::vector<tableint> members;
    members.reserve(kept.size());
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) members.push_back(it->second);
    return members;
}
}  // namespace
}

int cairn_hnsw_plan_add(cairn_hnsw_index *index, const float *vector, uint64_t label, cairn_hnsw_add_plan **out) {
    last_error.clear();
    if (!index || !vector || !out) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "plan add: missing argument");
    *out = nullptr;
    return guarded("plan add", [&]() -> int {
        HierarchicalNSW<float> *h = index->hnsw.get();
        auto plan = std::make_unique<cairn_hnsw_add_plan>();
        size_t dim = index->space->dim();
        plan->vector.assign(vector, vector + dim);
        if (index->space->space() == CAIRN_HNSW_SPACE_COSINE) normalise(vector, plan->vector.data(), dim);
        plan->label = label;
        plan->generation = index->generation;
        plan->id = tableint(h->cur_element_count);
        if (h->label_lookup_.count(label)) {
            plan->existing = true;
            *out = plan.release();
            return CAIRN_HNSW_OK;
        }
        {
            // hnswlib's own generator and distribution: the graph is the one its add would make, level for level.
            std::lock_guard<std::mutex> guard(index->levels_lock);
            plan->level = h->getRandomLevel(h->mult_);
        }
        const float *v = plan->vector.data();
        tableint id = plan->id;
        auto data = [&](tableint element) -> const void * {
            return element == id ? static_cast<const void *>(v) : h->getDataByInternalId(element);
        };
        auto distance = [&](tableint a, tableint b) { return h->fstdistfunc_(data(a), data(b), h->dist_func_param_); };
        if (h->cur_element_count == 0) {
            plan->becomes_entry = true;
            *out = plan.release();
            return CAIRN_HNSW_OK;
        }
        int top = h->maxlevel_;
        tableint entry = h->enterpoint_node_;
        tableint current = entry;
        // Greedy descent through the levels above the new element's.
        float nearest = distance(id, current);
        for (int level = top; level > plan->level; --level) {
            for (bool moved = true; moved;) {
                moved = false;
                hnswlib::linklistsizeint *list = h->get_linklist(current, level);
                size_t size = h->getListCount(list);
                tableint *members = reinterpret_cast<tableint *>(list + 1);
                for (size_t i = 0; i < size; ++i) {
                    float d = distance(id, members[i]);
                    if (d < nearest) {
                        nearest = d;
                        current = members[i];
                        moved = true;
                    }
                }
            }
        }
        bool entry_deleted = h->isMarkedDeleted(entry);
        for (int level = std::min(plan->level, top); level >= 0; --level) {
            auto found = h->searchBaseLayer(current, v, level);
            Candidates candidates;
            candidates.reserve(found.size() + 1);
            for (; !found.empty(); found.pop()) candidates.push_back(found.top());
            if (entry_deleted) {
                // (As hnswlib does: a deleted entry point stays reachable.)
                candidates.emplace_back(distance(id, entry), entry);
                std::sort(candidates.begin(), candidates.end());
                if (candidates.size() > h->ef_construction_) candidates.pop_back();
            }
            std::vector<tableint> chosen = choose_neighbours(candidates, h->M_, distance);
            if (chosen.empty()) continue;
            size_t most = level ? h->maxM_ : h->maxM0_;
            for (tableint neighbour : chosen) {
                hnswlib::linklistsizeint *list = h->get_linklist_at_level(neighbour, level);
                size_t size = h->getListCount(list);
                tableint *members = reinterpret_cast<tableint *>(list + 1);
                std::vector<tableint> next(members, members + size);
                if (size < most) {
                    next.push_back(id);
                } else {
                    Candidates pool;
                    pool.reserve(size + 1);
                    pool.emplace_back(distance(id, neighbour), id);
                    for (size_t i = 0; i < size; ++i) pool.emplace_back(distance(members[i], neighbour), members[i]);
                    next = choose_neighbours(std::move(pool), most, distance);
                }
                plan->lists.push_back({neighbour, level, std::move(next)});
            }
            current = chosen.back();  // the nearest: where the next level's search starts
            plan->lists.push_back({id, level, std::move(chosen)});
        }
        plan->becomes_entry = plan->level > top;
        *out = plan.release();
        return CAIRN_HNSW_OK;
    });
}

int cairn_hnsw_commit_add(cairn_hnsw_index *index, const cairn_hnsw_add_plan *plan) {
    last_error.clear();
    if (!index || !plan) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "commit add: missing argument");
    HierarchicalNSW<float> *h = index->hnsw.get();
    if (plan->existing || plan->generation != index->generation || plan->id != h->cur_element_count) {
        // The index changed since (or the label was there): an ordinary add, all of it here.
        return cairn_hnsw_add(index, plan->vector.data(), &plan->label, 1, 1);
    }
    if (h->cur_element_count >= h->max_elements_) {
        return capacity_exceeded(h, h->cur_element_count + 1);
    }
    return guarded("commit add", [&]() -> int {
        tableint id = plan->id;
        char *upper = nullptr;
        if (plan->level > 0) {
            size_t bytes = h->size_links_per_element_ * size_t(plan->level) + 1;
            upper = static_cast<char *>(std::malloc(bytes));
            if (!upper) throw std::bad_alloc();
            std::memset(upper, 0, bytes);
        }
        // Nothing below throws: the element and every list are written whole.
        std::memset(h->data_level0_memory_ + id * h->size_data_per_element_ + h->offsetLevel0_, 0,
                    h->size_data_per_element_);
        std::memcpy(h->getExternalLabeLp(id), &plan->label, sizeof(labeltype));
        std::memcpy(h->getDataByInternalId(id), plan->vector.data(), h->data_size_);
        h->linkLists_[id] = upper;
        h->element_levels_[id] = plan->level;
        h->cur_element_count++;
        h->label_lookup_[plan->label] = id;
        for (const auto &list : plan->lists) {
            hnswlib::linklistsizeint *target = h->get_linklist_at_level(list.node, list.level);
            h->setListCount(target, static_cast<unsigned short>(list.members.size()));
            std::memcpy(target + 1, list.members.data(), list.members.size() * sizeof(tableint));
        }
        if (plan->becomes_entry) {
            h->enterpoint_node_ = id;
            h->maxlevel_ = plan->level;
        }
        index->generation++;
        index->note_label(plan->label, id);
        return CAIRN_HNSW_OK;
    });
}

void cairn_hnsw_free_add_plan(cairn_hnsw_add_plan *plan) { delete plan; }

int cairn_hnsw_mark_deleted(cairn_hnsw_index *index, uint64_t label) {
    last_error.clear();
    if (!index) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "delete: missing index");
    HierarchicalNSW<float> *h = index->hnsw.get();
    auto found = h->label_lookup_.find(label);
    if (found == h->label_lookup_.end() || h->isMarkedDeleted(found->second)) {
        return fail(CAIRN_HNSW_LABEL_NOT_FOUND, "delete: label " + std::to_string(label) + " is not in the index");
    }
    return guarded("delete", [&]() -> int {
        index->generation++;
        h->markDelete(label);
        return CAIRN_HNSW_OK;
    });
}

void cairn_hnsw_labels(const cairn_hnsw_index *index, uint64_t *out) {
    if (!index || !out) return;
    const HierarchicalNSW<float> *h = index->hnsw.get();
    for (size_t i = 0; i < h->cur_element_count; ++i) out[i] = h->getExternalLabel(tableint(i));
}

int cairn_hnsw_relabel(cairn_hnsw_index *index, const uint64_t *labels, size_t count) {
    last_error.clear();
    if (!index || (count > 0 && !labels)) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "relabel: missing argument");
    HierarchicalNSW<float> *h = index->hnsw.get();
    if (count != h->cur_element_count) {
        return fail(CAIRN_HNSW_INVALID_ARGUMENT, "relabel: " + std::to_string(count) + " labels for " +
                                                     std::to_string(h->cur_element_count) + " elements");
    }
    return guarded("relabel", [&]() -> int {
        std::unordered_map<labeltype, tableint> lookup;
        lookup.reserve(count);
        for (size_t i = 0; i < count; ++i) {
            if (!lookup.emplace(labels[i], tableint(i)).second) {
                return fail(CAIRN_HNSW_INVALID_ARGUMENT, "relabel: label " + std::to_string(labels[i]) + " given twice");
            }
        }
        index->generation++;
        for (size_t i = 0; i < count; ++i) h->setExternalLabel(tableint(i), labels[i]);
        h->label_lookup_.swap(lookup);
        index->rebuild_dense();
        return CAIRN_HNSW_OK;
    });
}

int cairn_hnsw_resize(cairn_hnsw_index *index, size_t capacity) {
    last_error.clear();
    if (!index) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "resize: missing index");
    if (capacity < index->hnsw->cur_element_count) {
        return fail(CAIRN_HNSW_INVALID_ARGUMENT, "resize: capacity below the element count");
    }
    return guarded("resize", [&]() -> int {
        index->hnsw->resizeIndex(capacity);
        return CAIRN_HNSW_OK;
    });
}

int cairn_hnsw_save(const cairn_hnsw_index *index, const char *path) {
    last_error.clear();
    if (!index || !path) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "save: missing argument");
    const HierarchicalNSW<float> *h = index->hnsw.get();
    size_t expected = kHeaderBytes + h->cur_element_count * h->size_data_per_element_;
    for (size_t i = 0; i < h->cur_element_count; ++i) {
        expected += sizeof(unsigned int);
        if (h->element_levels_[i] > 0) expected += h->size_links_per_element_ * h->element_levels_[i];
    }
    std::string target(path);
    std::string temp = target + ".tmp-" + std::to_string(::getpid());
    int rc = guarded("save", [&]() -> int {
        // saveIndex is not const in 0.6.2 although it only reads.
        const_cast<HierarchicalNSW<float> *>(h)->saveIndex(temp);
        return CAIRN_HNSW_OK;
    });
    if (rc != CAIRN_HNSW_OK) {
        ::unlink(temp.c_str());
        return rc;
    }
    // saveIndex ignores write errors: check what reached the disk.
    int fd = ::open(temp.c_str(), O_RDONLY);
    if (fd < 0) return fail(CAIRN_HNSW_IO_ERROR, "save: cannot reopen " + temp + ": " + std::strerror(errno));
    struct stat info;
    bool synced = ::fsync(fd) == 0;
    int sync_errno = errno;
    bool sized = ::fstat(fd, &info) == 0 && size_t(info.st_size) == expected;
    ::close(fd);
    if (!synced || !sized) {
        ::unlink(temp.c_str());
        if (!synced) return fail(CAIRN_HNSW_IO_ERROR, "save: fsync of " + temp + " failed: " + std::strerror(sync_errno));
        return fail(CAIRN_HNSW_IO_ERROR, "save: " + temp + " is incomplete (expected " + std::to_string(expected) +
                                             " bytes; disk full?)");
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        int e = errno;
        ::unlink(temp.c_str());
        return fail(CAIRN_HNSW_IO_ERROR, "save: rename to " + target + " failed: " + std::strerror(e));
    }
    std::string dir = target.find('/') == std::string::npos ? "." : target.substr(0, target.rfind('/'));
    if (dir.empty()) dir = "/";
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return CAIRN_HNSW_OK;
}

size_t cairn_hnsw_count(const cairn_hnsw_index *index) { return index ? index->hnsw->cur_element_count : 0; }
size_t cairn_hnsw_deleted_count(const cairn_hnsw_index *index) { return index ? index->hnsw->num_deleted_ : 0; }
size_t cairn_hnsw_capacity(const cairn_hnsw_index *index) { return index ? index->hnsw->max_elements_ : 0; }
size_t cairn_hnsw_dimension(const cairn_hnsw_index *index) { return index ? index->space->dim() : 0; }

size_t cairn_hnsw_memory_bytes(const cairn_hnsw_index *index) {
    if (!index) return 0;
    const HierarchicalNSW<float> *h = index->hnsw.get();
    size_t bytes = h->max_elements_ * h->size_data_per_element_;      // level 0: links, vector, label
    bytes += h->max_elements_ * (sizeof(void *) + sizeof(int));         // upper-layer pointers and levels
    bytes += h->max_elements_ * sizeof(std::mutex);                     // per-element link locks
    bytes += h->max_elements_ * sizeof(hnswlib::vl_type);               // one visited list
    // Fixed per index, whatever its size: hnswlib's 65,536 update locks (2.5 MiB), constructed and so resident.
    bytes += HierarchicalNSW<float>::max_update_element_locks * sizeof(std::mutex);
    for (size_t i = 0; i < h->cur_element_count; ++i) {
        if (h->element_levels_[i] > 0) bytes += h->size_links_per_element_ * h->element_levels_[i] + 1;
    }
    bytes += h->label_lookup_.size() * (sizeof(labeltype) + sizeof(tableint) + 2 * sizeof(void *));
    bytes += index->dense.capacity() * sizeof(uint32_t);
    return bytes;
}

int cairn_hnsw_search(const cairn_hnsw_index *index, const float *query, size_t k, size_t ef,
                      const uint64_t *allowed_bits, size_t allowed_nbits, const uint32_t *seeds, size_t seed_count,
                      size_t max_distances, double min_local_fraction, uint64_t *labels_out,
                      float *distances_out, size_t *found) {
    last_error.clear();
    if (!index || !query || !labels_out || !distances_out || !found) {
        return fail(CAIRN_HNSW_INVALID_ARGUMENT, "search: missing argument");
    }
    *found = 0;
    if (k == 0) return CAIRN_HNSW_OK;
    return guarded("search", [&]() -> int {
        const HierarchicalNSW<float> *h = index->hnsw.get();
        if (h->cur_element_count == 0) return CAIRN_HNSW_OK;
        size_t dim = index->space->dim();
        std::vector<float> normalised;
        if (index->space->space() == CAIRN_HNSW_SPACE_COSINE) {
            normalised.resize(dim);
            normalise(query, normalised.data(), dim);
            query = normalised.data();
        }
        auto dist = h->fstdistfunc_;
        void *param = h->dist_func_param_;
        // Greedy descent through the upper layers (unfiltered: they only route).
        tableint current = h->enterpoint_node_;
        float current_d = dist(query, h->getDataByInternalId(current), param);
        for (int level = h->maxlevel_; level > 0; --level) {
            bool changed = true;
            while (changed) {
                changed = false;
                const tableint *links = reinterpret_cast<const tableint *>(h->get_linklist(current, level));
                size_t size = h->getListCount(const_cast<tableint *>(links));
                for (size_t j = 1; j <= size; ++j) {
                    tableint candidate = links[j];
                    if (candidate >= h->cur_element_count) throw std::runtime_error("corrupt link");
                    float d = dist(query, h->getDataByInternalId(candidate), param);
                    if (d < current_d) {
                        current_d = d;
                        current = candidate;
                        changed = true;
                    }
                }
            }
        }
        std::priority_queue<std::pair<float, tableint>> top;
        size_t width = std::max(ef, k);
        int status = allowed_bits
                         ? search_layer0<true>(index, current, query, width, allowed_bits, allowed_nbits, seeds,
                                               seed_count, max_distances, min_local_fraction, top)
                         : search_layer0<false>(index, current, query, width, nullptr, 0, nullptr, 0, max_distances,
                                                0, top);
        while (top.size() > k) top.pop();
        size_t n = top.size();
        for (size_t i = n; i > 0; --i) {
            labels_out[i - 1] = h->getExternalLabel(top.top().second);
            distances_out[i - 1] = top.top().first;
            top.pop();
        }
        *found = n;
        return status;
    });
}

void cairn_hnsw_lookup(const cairn_hnsw_index *index, const uint32_t *labels, size_t count, uint32_t *ids_out) {
    if (!index) return;
    const HierarchicalNSW<float> *h = index->hnsw.get();
    bool has_deleted = h->num_deleted_ > 0;
    for (size_t i = 0; i < count; ++i) {
        uint32_t id = index->internal_id(labels[i]);
        if (id != CAIRN_HNSW_NO_ID && has_deleted && h->isMarkedDeleted(id)) id = CAIRN_HNSW_NO_ID;
        ids_out[i] = id;
    }
}

const char *cairn_hnsw_vectors_base(const cairn_hnsw_index *index) {
    return index ? index->hnsw->data_level0_memory_ + index->hnsw->offsetData_ : nullptr;
}

size_t cairn_hnsw_vectors_stride(const cairn_hnsw_index *index) {
    return index ? index->hnsw->size_data_per_element_ : 0;
}

int cairn_hnsw_get_vector(const cairn_hnsw_index *index, uint64_t label, float *out) {
    last_error.clear();
    if (!index || !out) return fail(CAIRN_HNSW_INVALID_ARGUMENT, "get: missing argument");
    uint32_t id = index->internal_id(label);
    if (id == CAIRN_HNSW_NO_ID || index->hnsw->isMarkedDeleted(id)) {
        return fail(CAIRN_HNSW_LABEL_NOT_FOUND, "get: label " + std::to_string(label) + " is not in the index");
    }
    std::memcpy(out, index->hnsw->getDataByInternalId(id), index->space->dim() * sizeof(float));
    return CAIRN_HNSW_OK;
}

}  // extern "C"
