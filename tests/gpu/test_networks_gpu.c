/* test_networks_gpu.c - networks on the CUDA backend vs the reference backend (exit 77 without a
 * GPU).
 *
 * Run: ctest -L gpu -R test_networks_gpu.
 * For every configuration of tests/net_harness.h (MLPs with each activation, LayerNorm,
 * ensembles with shared and per-member input, dropout with a fixed rng, LN-ResNets, time
 * embeddings) both backends build the same network from the same seed and run the same
 * forward and backward. Checked: initial parameters (Philox: uniform draws bitwise equal,
 * normal draws within a few ulp), outputs, every parameter gradient and dL/dx.
 * Tolerances: parameters atol 1e-6 rtol 1e-6; outputs atol 1e-5 rtol 1e-4; gradients
 * atol 1e-4 * max(1, max|grad| of the tensor) rtol 1e-3 (different summation orders in
 * cuBLAS and the reduction kernels; TF32 would exceed them). */
#include "net_harness.h"

static void compare_spec(rise_backend *gpu, rise_backend *cpu, const tnet_spec *s) {
    tnet a, b;
    tnet_build(&a, cpu, s);
    tnet_build(&b, gpu, s);
    char label[160];
    float *pa = test_from_backend(cpu, a.p.value, a.p.size);
    float *pb = test_from_backend(gpu, b.p.value, b.p.size);
    snprintf(label, sizeof label, "%s: initial parameters", s->label);
    test_close(label, pb, pa, a.p.size, 1e-6, 1e-6);
    /* Start both from the CPU's values so later differences are the ops' alone. */
    gpu->upload(gpu, b.p.value, pa, a.p.size * sizeof(float));
    tnet_grads(&a);
    tnet_grads(&b);
    float *ya = test_from_backend(cpu, a.y, a.ny), *yb = test_from_backend(gpu, b.y, b.ny);
    snprintf(label, sizeof label, "%s: output", s->label);
    test_close(label, yb, ya, a.ny, 1e-5, 1e-4);
    float *ga = test_from_backend(cpu, a.p.grad, a.p.size);
    float *gb = test_from_backend(gpu, b.p.grad, b.p.size);
    for (int i = 0; i < a.p.count; ++i) {
        const rise_param_tensor *t = &a.p.tensors[i];
        double scale = 1.0;
        for (size_t k = 0; k < t->numel; ++k)
            scale = fabs(ga[t->offset + k]) > scale ? fabs(ga[t->offset + k]) : scale;
        snprintf(label, sizeof label, "%s: grad %s", s->label, t->name);
        test_close(label, gb + t->offset, ga + t->offset, t->numel, 1e-4 * scale, 1e-3);
    }
    float *dxa = test_from_backend(cpu, a.dx, a.nx), *dxb = test_from_backend(gpu, b.dx, b.nx);
    snprintf(label, sizeof label, "%s: dx", s->label);
    test_close(label, dxb, dxa, a.nx, 1e-4, 1e-3);
    free(pa);
    free(pb);
    free(ya);
    free(yb);
    free(ga);
    free(gb);
    free(dxa);
    free(dxb);
    tnet_free(&a);
    tnet_free(&b);
}

int main(void) {
    rise_backend *gpu = test_backend_or_skip("cuda");
    rise_backend *cpu = test_backend_or_skip("ref");
    tnet_spec specs[16];
    const int count = tnet_standard_specs(specs);
    for (int i = 0; i < count; ++i) compare_spec(gpu, cpu, &specs[i]);
    TEST_CHECK(gpu->sync(gpu) == RISE_OK, "cuda backend reported: %s", rise_last_error());
    rise_backend_destroy(gpu);
    rise_backend_destroy(cpu);
    return test_finish();
}
