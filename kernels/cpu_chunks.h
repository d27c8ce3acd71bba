/* cpu_chunks.h - how the CPU backends split an op over OpenMP threads: a job is cut into
 * at most one chunk per thread, and only when each chunk gets CPU_GRAIN elements of work
 * (below that, waking a thread costs more than it saves). Chunk boundaries can be rounded
 * to a multiple of `align` (Philox blocks, row pairs), so each chunk computes exactly what
 * the serial loop computes for its range. Shared by host/backend_ref.c and the fast
 * kernels/<op>_cpu.c files. */
#ifndef RISE_KERNELS_CPU_CHUNKS_H
#define RISE_KERNELS_CPU_CHUNKS_H

#include <omp.h>
#include <stddef.h>

#define CPU_GRAIN ((size_t)16384)

/* Number of chunks for `work` elements: 1 for small jobs, at most one per thread. */
static inline size_t cpu_chunks(size_t work) {
    const size_t by_work = work / CPU_GRAIN;
    const size_t threads = (size_t)omp_get_max_threads();
    const size_t c = by_work < threads ? by_work : threads;
    return c ? c : 1;
}

/* Chunk c of nchunk over [0, n), boundaries rounded down to a multiple of `align`. */
static inline size_t cpu_chunk_start(size_t n, size_t nchunk, size_t c, size_t align) {
    if (c >= nchunk) return n;
    const size_t s = (size_t)((unsigned __int128)n * c / nchunk);
    return s / align * align;
}

/* Runs BODY over chunks [lo, hi) of [0, n) in parallel. */
#define CPU_FOR_CHUNKS(n, align, work_per_item, BODY)                                              \
    do {                                                                                           \
        const size_t n_ = (n), align_ = (align);                                                   \
        const long nchunk_ = (long)cpu_chunks(n_ * (size_t)(work_per_item));                       \
        _Pragma("omp parallel for schedule(static) if (nchunk_ > 1)") for (long c_ = 0;            \
                                                                           c_ < nchunk_; ++c_) {   \
            const size_t lo = cpu_chunk_start(n_, (size_t)nchunk_, (size_t)c_, align_);            \
            const size_t hi = cpu_chunk_start(n_, (size_t)nchunk_, (size_t)c_ + 1, align_);        \
            if (lo < hi) {                                                                         \
                BODY;                                                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#endif
