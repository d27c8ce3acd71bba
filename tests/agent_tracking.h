/* agent_tracking.h - comparing two agents' training across backends (the GPU agent tests):
 * the initial policy, Q and V parameters of an agent kept on the host, and the worst relative
 * RMS error, over those three buffers, of one agent's change from its initial values against
 * another's. Adam divides by sqrt(v), so a gradient near zero can flip an entry's first
 * update; the RMS over a whole buffer is what stays small. */
#ifndef RISE_TESTS_AGENT_TRACKING_H
#define RISE_TESTS_AGENT_TRACKING_H

#include <math.h>
#include <stdlib.h>

#include "algorithms/agent_internal.h"
#include "test_util.h"

typedef struct {
    rise_agent *a;
    float *p0[3]; /* initial policy, Q, V values (host copies) */
} tracked;

static inline rise_params *tracked_buffer(rise_agent *a, int which) {
    return which == 0 ? &a->pp : which == 1 ? &a->critic.qp : &a->critic.vp;
}

static inline void track(tracked *t, rise_agent *a) {
    t->a = a;
    for (int w = 0; w < 3; ++w) {
        rise_params *p = tracked_buffer(a, w);
        t->p0[w] = test_from_backend(a->be, p->value, p->size);
    }
}

static inline void tracked_free(tracked *t) {
    for (int w = 0; w < 3; ++w) free(t->p0[w]);
}

/* Worst relative RMS error, over the three buffers, of the change from the initial values. */
static inline double change_error(const tracked *ref, const tracked *got) {
    double worst = 0.0;
    for (int w = 0; w < 3; ++w) {
        rise_params *pr = tracked_buffer(ref->a, w), *pg = tracked_buffer(got->a, w);
        float *vr = test_from_backend(ref->a->be, pr->value, pr->size);
        float *vg = test_from_backend(got->a->be, pg->value, pg->size);
        double num = 0.0, den = 0.0;
        for (size_t i = 0; i < pr->size; ++i) {
            const double dr = (double)vr[i] - ref->p0[w][i], dg = (double)vg[i] - got->p0[w][i];
            num += (dg - dr) * (dg - dr);
            den += dr * dr;
        }
        const double e = den > 0 ? sqrt(num / den) : sqrt(num);
        if (e > worst) worst = e;
        free(vr), free(vg);
    }
    return worst;
}

/* n training steps, each checked. */
static inline void tracked_steps(rise_agent *a, int n) {
    for (int i = 0; i < n; ++i)
        TEST_CHECK(rise_agent_step(a) == RISE_OK, "step on %s", a->be->name);
}

#endif
