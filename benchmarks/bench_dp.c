/* bench_dp.c - data-parallel training step: time per step split into compute and
 * gradient all-reduce, on however many ranks it is started as.
 *
 *   build/benchmarks/bench_dp [--backend cpu|cuda] [--batch B] [--width W] [--chunks]
 *                             [--unet C1,C2,...] [--steps S] [--quick] [--json FILE]
 *   build/benchmarks/bench_dp --dims 23,7 --chunks      gradient bytes per step only
 *   build/benchmarks/bench_dp --dims 23,7 --unet 256,512,1024     the paper's U-Net policy
 *   mpirun -np 2 -x OMP_NUM_THREADS=1 build/benchmarks/bench_dp --batch 256
 *   mpirun -np 8 build/benchmarks/bench_dp --backend cuda --batch 2048      (256 per GPU)
 *
 * The RISE update (twin Q + V, LN-ResNet diffusion policy with 3 blocks of width W, the
 * spectral code MLP, relabelled pairs every 2nd step) at global batch B (B / world rows per
 * rank; --chunks: 2 observation frames and 16-action chunks, the paper's Diffusion Policy
 * shapes; --unet C1,C2,...: the conditional U-Net denoiser with these down dims instead of
 * the LN-ResNet, kernel 5, 8 groups, step embedding 256, always on chunks) on maze data
 * generated in a temporary folder. Every rank measures, after warm-up:
 *   compute    S steps of an agent with no communicator (what one rank computes)
 *   allreduce  S rounds of the step's all-reduces alone (mean of the policy, Q and V
 *              gradient buffers, on the backend's stream; on MPI a synchronous exchange)
 *   step       S steps of the data-parallel agent (compute + all-reduce + the wait for the
 *              slowest rank)
 * and reports the slowest rank's medians of 3 repeats: ms per step, efficiency =
 * compute / step (1 with no communication cost), the bytes all-reduced per step, algbw =
 * bytes / allreduce time and busbw = algbw 2 (W - 1) / W (nccl-tests' bus bandwidth), and
 * compute_cpu and step_cpu: the CPU time a compute step and a data-parallel step cost, summed
 * over threads and ranks (the work, which a machine shared with other jobs distorts less
 * than the wall clock; waiting in MPI still counts, as MPI polls).
 * Validation: finite losses and replicas identical on every rank after the run (exit 1).
 * --dims D,A prints the floats all-reduced per step for observations of D and actions of
 * A dimensions (e.g. robomimic square low-dim: 23, 7) and exits: the bytes of the scaling
 * model in docs/performance.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "algorithms/agent.h"
#include "algorithms/agent_dist.h"
#include "bench_agent_data.h"
#include "host/comm.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of this process (every thread). */
static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median3(double *x) {
    qsort(x, 3, sizeof *x, cmp_double);
    return x[1];
}

static rise_status time_steps(rise_agent *a, rise_backend *be, rise_comm *c, int steps,
                              double *seconds, double *cpu_seconds) {
    RISE_TRY(rise_comm_barrier(c));
    const double t0 = now(), c0 = cpu_now();
    for (int i = 0; i < steps; ++i) RISE_TRY(rise_agent_step(a));
    RISE_TRY(be->sync(be));
    *seconds = (now() - t0) / steps;
    *cpu_seconds = (cpu_now() - c0) / steps;
    return RISE_OK;
}

static rise_status time_allreduce(rise_agent *a, rise_backend *be, rise_comm *c, int steps,
                                  double *seconds) {
    rise_params *pp = rise_agent_policy_params(a);
    rise_iql_critic *q = rise_agent_critic(a);
    RISE_TRY(rise_comm_barrier(c));
    const double t0 = now();
    for (int i = 0; i < steps; ++i) {
        rise_comm_allreduce(c, q->vp.grad, q->vp.size, RISE_COMM_MEAN);
        rise_comm_allreduce(c, q->qp.grad, q->qp.size, RISE_COMM_MEAN);
        rise_comm_allreduce(c, pp->grad, pp->size, RISE_COMM_MEAN);
    }
    RISE_TRY(be->sync(be));
    *seconds = (now() - t0) / steps;
    return RISE_OK;
}

/* The RISE update's agent config (paper-like sizes at width 256); unet: NULL or the U-Net
 * denoiser (down dims set, n_levels > 0), which implies chunks. */
static void rise_config(rise_agent_config *cfg, int d, int a, int batch, int width, int chunks,
                        const rise_unet_config *unet) {
    rise_agent_config_default(cfg, RISE_ALGO_RISE);
    cfg->obs_dim = d;
    cfg->act_dim = a;
    cfg->batch = batch;
    cfg->diffusion.width = cfg->critic.width = width;
    cfg->relabel = 1;
    cfg->relabel_cfg.threshold = 0.2f;
    cfg->relabel_cfg.skip_expert = cfg->relabel_cfg.skip_nonexpert = 0;
    if (chunks) {
        cfg->obs_horizon = 2;
        cfg->action_horizon = 16;
        cfg->action_exec = 8;
    }
    if (unet) {
        cfg->diffusion.unet = 1;
        cfg->diffusion.unet_cfg = *unet;
        cfg->diffusion.unet_cfg.act_dim = a;
        cfg->diffusion.unet_cfg.horizon = cfg->action_horizon;
        cfg->diffusion.unet_cfg.cond_dim = d * cfg->obs_horizon;
    }
}

/* "256,512,1024" -> down dims of a U-Net config (0: malformed). */
static int parse_unet(const char *s, rise_unet_config *u) {
    *u = rise_unet_config_default();
    u->n_levels = 0;
    for (const char *p = s; *p;) {
        char *end = NULL;
        const long v = strtol(p, &end, 10);
        if (end == p || v < 1 || u->n_levels == RISE_UNET_MAX_LEVELS) return 0;
        u->down_dims[u->n_levels++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return u->n_levels > 0;
}

static const char *net_name(const rise_unet_config *unet) {
    static char buf[80];
    if (!unet) return "LN-ResNet";
    int n = snprintf(buf, sizeof buf, "U-Net [");
    for (int l = 0; l < unet->n_levels; ++l)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%d", l ? "," : "", unet->down_dims[l]);
    snprintf(buf + n, sizeof buf - (size_t)n, "]");
    return buf;
}

static int count_only(int d, int a, int width, int chunks, const rise_unet_config *unet) {
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_agent_config cfg;
    rise_config(&cfg, d, a, 1, width, chunks, unet);
    rise_agent *ag = NULL;
    if (!be || rise_agent_create(&cfg, be, NULL, &ag) != RISE_OK) {
        fprintf(stderr, "bench_dp: %s\n", rise_last_error());
        return 1;
    }
    const rise_iql_critic *q = rise_agent_critic(ag);
    const size_t p = rise_agent_policy_params(ag)->size, total = p + q->qp.size + q->vp.size;
    printf("RISE update, obs %d, action %d, width %d, %s policy%s: gradients all-reduced per step "
           "%zu floats (policy %zu, Q %zu, V %zu) = %.2f MB\n",
           d, a, width, net_name(unet), chunks ? ", 2 frames x 16-action chunks" : "", total, p,
           q->qp.size, q->vp.size, 4.0 * (double)total / 1e6);
    rise_agent_free(ag);
    rise_backend_destroy(be);
    return 0;
}

int main(int argc, char **argv) {
    const char *backend = "cpu", *json = NULL;
    int batch = 256, width = 256, chunks = 0, steps = 20, dims_d = 0, dims_a = 0;
    rise_unet_config unet_cfg;
    const rise_unet_config *unet = NULL;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--backend") && i + 1 < argc)
            backend = argv[++i];
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--width") && i + 1 < argc)
            width = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dims") && i + 1 < argc) {
            if (sscanf(argv[++i], "%d,%d", &dims_d, &dims_a) != 2 || dims_d < 1 || dims_a < 1) {
                fprintf(stderr, "bench_dp: --dims %s, expected D,A (e.g. 23,7)\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--unet") && i + 1 < argc) {
            if (!parse_unet(argv[++i], &unet_cfg)) {
                fprintf(stderr, "bench_dp: --unet %s, expected down dims C1,C2,... (e.g. 64,128)\n",
                        argv[i]);
                return 2;
            }
            unet = &unet_cfg;
            chunks = 1;
        } else if (!strcmp(argv[i], "--chunks"))
            chunks = 1;
        else if (!strcmp(argv[i], "--quick"))
            steps = 3;
        else {
            printf("usage: bench_dp [--backend cpu|cuda] [--batch B] [--width W] [--chunks] "
                   "[--unet C1,C2,...] [--steps S] [--quick] [--json FILE] [--dims D,A]\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (dims_d) return count_only(dims_d, dims_a, width, chunks, unet);
    rise_launch l;
    rise_status st = rise_launch_from_env(&l);
    if (st == RISE_OK && (batch < 1 || width < 1 || steps < 1 || batch % l.world))
        st = rise_error(RISE_ERR_INVALID, "--batch %d --width %d --steps %d on %d ranks", batch,
                        width, steps, l.world);
    if (st == RISE_OK && !strcmp(backend, "cuda")) st = rise_launch_select_device(&l);
    rise_backend *be = st == RISE_OK ? rise_backend_create(backend, &st) : NULL;
    if (!be) {
        fprintf(stderr, "bench_dp: %s\n", rise_last_error());
        return st == RISE_ERR_NO_DEVICE ? 77 : 1;
    }
    rise_comm *c = NULL;
    if (rise_comm_create(&l, RISE_COMM_AUTO, be, &c) != RISE_OK) {
        fprintf(stderr, "bench_dp: %s\n", rise_last_error());
        return 1;
    }
    const int rank = rise_comm_rank(c), world = rise_comm_world(c);
    char dir[64] = "/tmp/rise_bench_dp_XXXXXX";
    const int ok = rank != 0 || bench_agent_files(dir);
    st = rise_comm_agree(c, ok ? RISE_OK : rise_error(RISE_ERR_IO, "bench data in %s", dir));
    if (st == RISE_OK) st = rise_comm_host_broadcast(c, dir, sizeof dir, 0);
    rise_trainset ts;
    memset(&ts, 0, sizeof ts);
    if (st == RISE_OK) st = bench_agent_load(dir, &ts);
    rise_agent_config cfg;
    rise_config(&cfg, (int)ts.obs_dim, (int)ts.act_dim, batch / world, width, chunks, unet);
    rise_agent *dp = NULL, *solo = NULL;
    if (st == RISE_OK) st = rise_agent_create(&cfg, be, &ts.norm, &dp);
    if (st == RISE_OK) st = rise_agent_set_comm(dp, c);
    if (st == RISE_OK) st = rise_agent_attach_data(dp, &ts);
    if (st == RISE_OK) st = rise_agent_broadcast(dp);
    if (st == RISE_OK) st = rise_agent_create(&cfg, be, &ts.norm, &solo);
    if (st == RISE_OK) st = rise_agent_attach_data(solo, &ts);
    for (int i = 0; st == RISE_OK && i < 3; ++i) st = rise_agent_step(dp); /* warm up */
    for (int i = 0; st == RISE_OK && i < 3; ++i) st = rise_agent_step(solo);
    /* [repeat][compute, allreduce, step]; CPU seconds of the compute and the dp step */
    double t[3][3], cpu[3], cpu_solo[3];
    for (int r = 0; st == RISE_OK && r < 3; ++r) {
        st = time_steps(solo, be, c, steps, &t[r][0], &cpu_solo[r]);
        if (st == RISE_OK) st = time_allreduce(dp, be, c, steps, &t[r][1]);
        if (st == RISE_OK) st = time_steps(dp, be, c, steps, &t[r][2], &cpu[r]);
    }
    rise_agent_metrics m;
    if (st == RISE_OK) st = rise_agent_metrics_read(dp, &m); /* a non-finite loss fails */
    st = rise_comm_agree(c, st);
    if (st == RISE_OK) st = rise_agent_check_replicas(dp);
    if (st != RISE_OK) {
        if (rank == 0) fprintf(stderr, "bench_dp: %s\n", rise_last_error());
        return 1;
    }
    double med[3];
    for (int k = 0; k < 3; ++k) {
        double x[3] = {t[0][k], t[1][k], t[2][k]};
        med[k] = median3(x);
    }
    rise_comm_host_allreduce(c, med, 3, RISE_COMM_MAX);    /* the slowest rank */
    double cpu_med[2] = {median3(cpu_solo), median3(cpu)}; /* summed over the ranks */
    rise_comm_host_allreduce(c, cpu_med, 2, RISE_COMM_SUM);
    const double cpu_compute = cpu_med[0], cpu_step = cpu_med[1];
    const rise_iql_critic *q = rise_agent_critic(dp);
    const size_t floats = rise_agent_policy_params(dp)->size + q->qp.size + q->vp.size;
    const double bytes = 4.0 * (double)floats;
    const double algbw = world > 1 ? bytes / med[1] / 1e9 : 0.0;
    const double busbw = algbw * 2.0 * (world - 1) / world;
    const double eff = med[0] / med[2];
    if (rank == 0) {
        printf("bench_dp on %s x %d (%s): RISE update, global batch %d (%d per rank), width %d, "
               "%s policy%s, obs %lld, action %lld; gradients %zu floats (policy %zu, Q %zu, V "
               "%zu) = %.2f MB per step\n",
               be->name, world, rise_comm_kind_name(rise_comm_kind_of(c)), batch, batch / world,
               width, net_name(unet), chunks ? ", 2 frames x 16-action chunks" : "",
               (long long)ts.obs_dim, (long long)ts.act_dim, floats,
               rise_agent_policy_params(dp)->size, q->qp.size, q->vp.size, bytes / 1e6);
        printf("%-6s %10s %10s %10s %10s %10s %10s %11s %10s\n", "ranks", "compute", "allreduce",
               "step", "efficiency", "algbw", "busbw", "compute_cpu", "step_cpu");
        printf("%-6d %8.3fms %8.3fms %8.3fms %10.3f %6.2fGB/s %6.2fGB/s %9.3fms %8.3fms\n", world,
               1e3 * med[0], 1e3 * med[1], 1e3 * med[2], eff, algbw, busbw, 1e3 * cpu_compute,
               1e3 * cpu_step);
        if (json) {
            FILE *f = fopen(json, "w");
            if (f) {
                fprintf(f,
                        "[{\"case\": \"dp_rise_step\", \"backend\": \"%s\", \"comm\": \"%s\", "
                        "\"world\": %d, \"batch\": %d, \"batch_per_rank\": %d, \"width\": %d, "
                        "\"policy\": \"%s\", \"chunks\": %d, \"grad_floats\": %zu, \"compute_ms\": "
                        "%.6g, "
                        "\"allreduce_ms\": %.6g, \"step_ms\": %.6g, \"efficiency\": %.6g, "
                        "\"algbw_gbs\": %.6g, \"busbw_gbs\": %.6g, \"compute_cpu_ms\": %.6g, "
                        "\"step_cpu_ms\": %.6g}]\n",
                        be->name, rise_comm_kind_name(rise_comm_kind_of(c)), world, batch,
                        batch / world, width, net_name(unet), chunks, floats, 1e3 * med[0],
                        1e3 * med[1], 1e3 * med[2], eff, algbw, busbw, 1e3 * cpu_compute,
                        1e3 * cpu_step);
                fclose(f);
            }
        }
    }
    rise_agent_free(dp);
    rise_agent_free(solo);
    rise_trainset_free(&ts);
    rise_comm_barrier(c);
    if (rank == 0) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0) fprintf(stderr, "bench_dp: could not remove %s\n", dir);
    }
    rise_comm_free(c);
    rise_backend_destroy(be);
    return 0;
}
