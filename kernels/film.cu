/* film.cu - FiLM over channels-last x [B, T, C] on CUDA (one variant each pass):
 *   forward   grid-stride over elements, film_value from film.h
 *   backward  dx grid-stride; demb one thread per (b, c) summing over t in double,
 *             the reference's order (deterministic, no atomics). */
#include "common.cuh"
#include "film.h"

__global__ void film_forward_kernel1(float *y, const float *x, const float *emb, int t, int c,
                                     size_t n) {
    RISE_GRID_STRIDE(i, n) {
        const int ch = (int)(i % c);
        const size_t b = i / ((size_t)t * c);
        const float *e = emb + b * 2 * c;
        y[i] = film_value(x[i], e[ch], e[c + ch]);
    }
}

__global__ void film_backward_dx_kernel1(float *dx, const float *dy, const float *emb, int t, int c,
                                         size_t n) {
    RISE_GRID_STRIDE(i, n) {
        const int ch = (int)(i % c);
        const size_t b = i / ((size_t)t * c);
        dx[i] = dy[i] * emb[b * 2 * c + ch];
    }
}

__global__ void film_backward_emb_kernel1(float *demb, const float *dy, const float *x, int b,
                                          int t, int c) {
    const size_t n = (size_t)b * c;
    RISE_GRID_STRIDE(i, n) {
        const int ch = (int)(i % c);
        const size_t bi = i / c;
        double ss = 0.0, sb = 0.0;
        for (int ti = 0; ti < t; ++ti) {
            const size_t e = (bi * t + ti) * c + ch;
            ss += (double)dy[e] * x[e];
            sb += dy[e];
        }
        demb[bi * 2 * c + ch] = (float)ss;
        demb[bi * 2 * c + c + ch] = (float)sb;
    }
}

extern "C" void film_forward_cuda(void *stream, float *y, const float *x, const float *emb, int b,
                                  int t, int c) {
    film_check("film_forward", b, t, c);
    const size_t n = (size_t)b * t * c;
    if (n == 0) return;
    film_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, x, emb, t, c,
                                                                                 n);
    RISE_CUDA_LAUNCHED();
}

extern "C" void film_backward_cuda(void *stream, float *dx, float *demb, const float *dy,
                                   const float *x, const float *emb, int b, int t, int c) {
    film_check("film_backward", b, t, c);
    const size_t n = (size_t)b * t * c;
    if (dx && n) {
        film_backward_dx_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
            dx, dy, emb, t, c, n);
        RISE_CUDA_LAUNCHED();
    }
    if (demb && b > 0) {
        const size_t m = (size_t)b * c;
        film_backward_emb_kernel1<<<rise_grid_for(m, 128), 128, 0, RISE_STREAM(stream)>>>(
            demb, dy, x, b, t, c);
        RISE_CUDA_LAUNCHED();
    }
}
