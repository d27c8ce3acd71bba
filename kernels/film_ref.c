/* film_ref.c - CPU reference for FiLM over channels-last x [B, T, C] (see film.h). */
#include "film.h"

void film_forward_ref(float *y, const float *x, const float *emb, int b, int t, int c) {
    film_check("film_forward", b, t, c);
    for (int bi = 0; bi < b; ++bi) {
        const float *sc = emb + (int64_t)bi * 2 * c, *bs = sc + c;
        for (int ti = 0; ti < t; ++ti) {
            const int64_t r = ((int64_t)bi * t + ti) * c;
            for (int ch = 0; ch < c; ++ch) y[r + ch] = film_value(x[r + ch], sc[ch], bs[ch]);
        }
    }
}

void film_backward_ref(float *dx, float *demb, const float *dy, const float *x, const float *emb,
                       int b, int t, int c) {
    film_check("film_backward", b, t, c);
    for (int bi = 0; bi < b; ++bi) {
        const float *sc = emb + (int64_t)bi * 2 * c;
        if (dx)
            for (int ti = 0; ti < t; ++ti) {
                const int64_t r = ((int64_t)bi * t + ti) * c;
                for (int ch = 0; ch < c; ++ch) dx[r + ch] = dy[r + ch] * sc[ch];
            }
        if (demb)
            for (int ch = 0; ch < c; ++ch) {
                double ss = 0.0, sb = 0.0;
                for (int ti = 0; ti < t; ++ti) {
                    const int64_t e = ((int64_t)bi * t + ti) * c + ch;
                    ss += (double)dy[e] * x[e];
                    sb += dy[e];
                }
                demb[(int64_t)bi * 2 * c + ch] = (float)ss;
                demb[(int64_t)bi * 2 * c + c + ch] = (float)sb;
            }
    }
}
