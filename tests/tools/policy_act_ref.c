/* policy_act_ref.c - the C evaluation path on given observations, for the Python package's
 * test (tests/cpu/test_python_package.py) to compare against: the run opened as `rise eval`
 * opens it (rise_train_open_run on the cpu backend: the run's precision, then the agent),
 * rise_agent_policy with the evaluation seed, one act call on the batch. A policy that reads
 * cameras renders them from the observations with the task's camera view
 * (rise_agent_policy_bind_view on the run's task), as `rise eval` does.
 *
 *   policy_act_ref RUN_DIR SEED N OBS.f32 KEYS.u64 T.i32 OUT.f32
 *
 * OBS.f32: N x D float32, KEYS.u64: N uint64 episode keys, T.i32: N int32 steps (raw
 * little-endian files, as numpy's tofile writes them); OUT.f32 gets N x chunk x A. */
#include <stdio.h>
#include <stdlib.h>

#include "algorithms/agent.h"
#include "algorithms/train_run.h"
#include "envs/env.h"

static int read_all(const char *path, void *buf, size_t bytes) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    const size_t got = fread(buf, 1, bytes, f);
    fclose(f);
    return got == bytes;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: policy_act_ref RUN_DIR SEED N OBS.f32 KEYS.u64 T.i32 OUT.f32\n");
        return 2;
    }
    const uint64_t seed = strtoull(argv[2], NULL, 10);
    const int n = atoi(argv[3]);
    rise_train_config cfg;
    rise_backend *be = NULL;
    rise_agent *agent = NULL;
    rise_policy *pol = NULL;
    rise_env *view = NULL;
    rise_status st = rise_train_open_run(argv[1], NULL, "cpu", &cfg, &be, &agent);
    if (st == RISE_OK) st = rise_agent_policy(agent, seed, &pol);
    if (st == RISE_OK && rise_agent_cameras(agent)) {
        st = rise_env_create_from_args(rise_agent_env_args(agent), &view);
        if (st == RISE_OK) st = rise_agent_policy_bind_view(pol, view);
    }
    if (st != RISE_OK) {
        fprintf(stderr, "policy_act_ref: %s\n", rise_last_error());
        return 1;
    }
    const size_t D = (size_t)pol->obs_dim, out_n = (size_t)n * pol->chunk * pol->act_dim;
    float *obs = malloc(sizeof(float) * n * D), *act = malloc(sizeof(float) * out_n);
    uint64_t *keys = malloc(sizeof(uint64_t) * n);
    int *t = malloc(sizeof(int) * n);
    int rc = 1;
    if (obs && act && keys && t && read_all(argv[4], obs, sizeof(float) * n * D) &&
        read_all(argv[5], keys, sizeof(uint64_t) * n) && read_all(argv[6], t, sizeof(int) * n)) {
        const rise_policy_ctx ctx = {keys, t, NULL};
        st = pol->act(pol, n, obs, &ctx, act);
        FILE *f = st == RISE_OK ? fopen(argv[7], "wb") : NULL;
        if (f && fwrite(act, sizeof(float), out_n, f) == out_n) rc = 0;
        if (f) fclose(f);
        if (st != RISE_OK) fprintf(stderr, "policy_act_ref: %s\n", rise_last_error());
    } else {
        fprintf(stderr, "policy_act_ref: cannot read the inputs\n");
    }
    free(obs);
    free(act);
    free(keys);
    free(t);
    rise_policy_destroy(pol);
    if (view) rise_env_destroy(view);
    rise_agent_free(agent);
    rise_backend_destroy(be);
    return rc;
}
