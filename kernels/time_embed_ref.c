/* time_embed_ref.c - CPU reference for the time embedding and its frequency gradient (the
 * op and its rules: kernels/time_embed.h). */
#include "time_embed.h"

#include <math.h>

void freq_embed_forward_ref(float *y, const float *t, const float *f, int b, int h) {
    freq_embed_check(b, h);
    for (int bi = 0; bi < b; ++bi) {
        float *row = y + (int64_t)bi * 2 * h;
        for (int i = 0; i < h; ++i) {
            const double phase = freq_embed_phase(t[bi], f[i]);
            row[i] = (float)sin(phase);
            row[h + i] = (float)cos(phase);
        }
    }
}

void freq_embed_backward_ref(float *df, const float *dy, const float *t, const float *f, int b,
                             int h) {
    freq_embed_check(b, h);
    for (int i = 0; i < h; ++i) {
        double acc = 0.0;
        for (int bi = 0; bi < b; ++bi) {
            const float *row = dy + (int64_t)bi * 2 * h;
            acc += freq_embed_grad_term(t[bi], f[i], row[i], row[h + i]);
        }
        df[i] += (float)acc;
    }
}
