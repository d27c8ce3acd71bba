/* time_embed_ref.c - CPU reference for the time embedding
 *   y[b, i] = sin(t_b f_i), y[b, H + i] = cos(t_b f_i)   for y [B, 2H], t [B], f [H]
 * and its gradient with respect to the frequencies (learned Fourier features):
 *   df_i += sum_b t_b (dy[b, i] cos(t_b f_i) - dy[b, H + i] sin(t_b f_i)).
 * Phases and sums are evaluated in double (large t f loses accuracy in float). */
#include "time_embed.h"

#include <math.h>

void freq_embed_forward_ref(float *y, const float *t, const float *f, int b, int h) {
    RISE_ASSERT(b >= 0 && h >= 0, "freq_embed: negative shape b=%d h=%d", b, h);
    for (int bi = 0; bi < b; ++bi) {
        float *row = y + (int64_t)bi * 2 * h;
        for (int i = 0; i < h; ++i) {
            const double phase = (double)t[bi] * (double)f[i];
            row[i] = (float)sin(phase);
            row[h + i] = (float)cos(phase);
        }
    }
}

void freq_embed_backward_ref(float *df, const float *dy, const float *t, const float *f, int b,
                             int h) {
    RISE_ASSERT(b >= 0 && h >= 0, "freq_embed: negative shape b=%d h=%d", b, h);
    for (int i = 0; i < h; ++i) {
        double acc = 0.0;
        for (int bi = 0; bi < b; ++bi) {
            const double tb = t[bi], phase = tb * (double)f[i];
            const float *row = dy + (int64_t)bi * 2 * h;
            acc += tb * ((double)row[i] * cos(phase) - (double)row[h + i] * sin(phase));
        }
        df[i] += (float)acc;
    }
}
