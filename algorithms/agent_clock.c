/* agent_clock.c - the training step's counters in backend memory, and the step replayed
 * as a CUDA graph.
 *
 * Five by-value inputs of a step change from one step to the next: the step number
 * (the policy's Adam bias correction and EMA decay), the critic's own update count (its
 * Adam's; it rests in pair steps) and three Philox positions (the step-keyed streams at
 * step << 32, the batch sampler's counter and the pair sampler's). With the device
 * clock on (train.step_graph) they live in backend memory instead: every rng of the
 * step points its offset_add at a clock counter, every Adam its step_add, and the step
 * ends with counters_add advancing them. The op sequence is then the same at every step
 * of a phase (a plain step or a relabelled-pair step), so on a backend with graphs each
 * phase is captured once and replayed; on the CPU the same sequence runs eagerly, which
 * is how the tests hold it against the by-value step bit for bit. Where a capture fails
 * the step warns once and runs eagerly from then on (tests/cpu/test_graph_fallback.c). The
 * host keeps its own counters (a->step, the samplers), advanced by rise_agent_step, and uploads
 * them when the device copy may be stale: the first step, and after attaching data or loading a
 * checkpoint. */
#include "agent_internal.h"

rise_status rise_agent_clock_init(rise_agent *a) {
    rise_backend *be = a->be;
    a->clock = be->alloc(be, sizeof(uint64_t) * RISE_CLOCK_N);
    if (!a->clock) return rise_error(RISE_ERR_NOMEM, "agent: out of backend memory for the clock");
    const uint64_t *critic_step = a->clock + RISE_CLOCK_CRITIC_STEP;
    if (a->has_critic) a->critic.cfg.q_opt.step_add = a->critic.cfg.v_opt.step_add = critic_step;
    if (a->has_cql) a->cql.cfg.q_opt.step_add = critic_step;
    a->clock_fresh = 0;
    return RISE_OK;
}

void rise_agent_clock_reset(rise_agent *a) {
    a->clock_fresh = 0;
    for (int p = 0; p < 2; ++p)
        if (a->graph[p]) {
            a->be->graph_destroy(a->be, a->graph[p]);
            a->graph[p] = NULL;
        }
}

void rise_agent_clock_free(rise_agent *a) {
    if (!a->clock) return;
    rise_agent_clock_reset(a);
    a->be->free(a->be, a->clock);
    a->clock = NULL;
}

rise_rng rise_agent_step_rng(const rise_agent *a, uint32_t stream) {
    rise_rng r = {a->cfg.seed, stream, RISE_AGENT_STEP_BLOCKS(a->step), NULL};
    if (a->clock) {
        r.offset = 0;
        r.offset_add = a->clock + RISE_CLOCK_STEP_BLOCKS;
    }
    return rise_agent_window(a, r);
}

rise_rng rise_agent_sampler_rng(const rise_agent *a, const rise_sampler *s, int counter) {
    rise_rng r = rise_sampler_rng(s);
    if (a->clock) {
        r.offset = 0;
        r.offset_add = a->clock + counter;
    }
    return r;
}

int rise_agent_adam_step(const rise_agent *a) { return a->clock ? 1 : (int)(a->step + 1); }

int64_t rise_agent_critic_steps_before(const rise_agent *a, int64_t step) {
    const rise_agent_config *c = &a->cfg;
    if (!a->has_critic && !a->has_cql) return 0; /* no critic (BC) */
    if (c->relabel_critic_on_pairs || a->has_gauss || !a->has_pairs || a->pairs.n == 0) return step;
    /* pair steps before `step`: the last relabel_block steps of each cycle */
    const int64_t L = c->relabel_block, cycle = L * c->relabel_every;
    const int64_t rem = step % cycle, tail = rem - (cycle - L);
    return step - (step / cycle * L + (tail > 0 ? tail : 0));
}

int rise_agent_critic_adam_step(const rise_agent *a) {
    return a->clock ? 1 : (int)(rise_agent_critic_steps_before(a, a->step) + 1);
}

const uint64_t *rise_agent_step_add(const rise_agent *a) {
    return a->clock ? a->clock + RISE_CLOCK_STEP : NULL;
}

/* Host counters -> device clock. */
static void clock_upload(rise_agent *a) {
    const uint64_t h[RISE_CLOCK_N] = {(uint64_t)a->step, RISE_AGENT_STEP_BLOCKS(a->step),
                                      a->sampler.offset, a->pair_sampler.offset,
                                      (uint64_t)rise_agent_critic_steps_before(a, a->step)};
    a->be->upload(a->be, a->clock, h, sizeof h);
    a->clock_fresh = 1;
}

/* The step's last op: the clock moves on by one step of this phase. */
static void clock_advance(rise_agent *a) {
    const uint64_t delta[RISE_CLOCK_N] = {
        1, RISE_AGENT_STEP_BLOCKS(1), a->last_regular_batch ? rise_sampler_blocks(&a->sampler) : 0,
        a->last_policy_from_pairs ? rise_sampler_blocks(&a->pair_sampler) : 0,
        a->last_critic_update ? 1 : 0};
    a->be->counters_add(a->be, a->clock, delta, RISE_CLOCK_N);
}

/* Captures one step of this phase into a->graph[phase]. Nothing a capture records runs,
 * so a failed capture leaves the clock and every buffer as they were; the backend stays
 * usable (backend.h), and the step then runs without a graph, now and from then on. */
static void capture_step(rise_agent *a, int phase, void (*body)(rise_agent *)) {
    rise_backend *be = a->be;
    rise_status st = be->graph_begin(be);
    if (st == RISE_OK) {
        body(a);
        clock_advance(a);
        st = be->graph_end(be, &a->graph[phase]);
    }
    if (st == RISE_OK) return;
    a->graph[phase] = NULL;
    a->graph_off = 1;
    rise_warning("agent: capturing the training step as a CUDA graph failed, so it runs without "
                 "one from now on (same numbers, more launch overhead): %s",
                 rise_last_error());
}

rise_status rise_agent_clock_step(rise_agent *a, void (*body)(rise_agent *)) {
    rise_backend *be = a->be;
    if (!a->clock_fresh) clock_upload(a);
    const int phase = a->last_policy_from_pairs;
    if (be->graph_begin && !a->graph_off && !a->graph[phase]) capture_step(a, phase, body);
    if (a->graph[phase]) {
        be->graph_launch(be, a->graph[phase]);
        return RISE_OK;
    }
    /* no graphs (cpu), or the capture failed: the captured sequence, run as it is issued */
    body(a);
    clock_advance(a);
    return RISE_OK;
}
