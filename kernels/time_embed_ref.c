/* time_embed_ref.c - reference frequency embedding y = [sin(t f), cos(t f)]. */
#include "time_embed.h"

#include <math.h>

void freq_embed_forward_ref(float *y, const float *t, const float *f, int b, int h) {
    for (int i = 0; i < b; ++i)
        for (int j = 0; j < h; ++j) {
            const float a = t[i] * f[j];
            y[(int64_t)i * 2 * h + j] = sinf(a);
            y[(int64_t)i * 2 * h + h + j] = cosf(a);
        }
}

void freq_embed_backward_ref(float *df, const float *dy, const float *t, const float *f, int b,
                             int h) {
    for (int j = 0; j < h; ++j) {
        double acc = 0.0;
        for (int i = 0; i < b; ++i) {
            const double a = (double)t[i] * f[j];
            acc += dy[(int64_t)i * 2 * h + j] * t[i] * cos(a) -
                   dy[(int64_t)i * 2 * h + h + j] * t[i] * sin(a);
        }
        df[j] += (float)acc;
    }
}
