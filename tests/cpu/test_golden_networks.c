/* test_golden_networks.c - MLP, LN-ResNet and Adam/AdamW against the PyTorch golden file, on
 * the reference backend and on the fast CPU backend (the same tolerances for both).
 *
 * Run: ctest -R test_golden_networks (or ./test_golden_networks from tests/).
 * The checks, tolerances and negative controls are described in tests/golden/golden_networks.h;
 * the reference comes from tests/golden/make_golden.py. */
#include "golden/golden_networks.h"

int main(void) {
    if (!golden_networks_run("ref") || !golden_networks_run("cpu")) return 1;
    return test_finish();
}
