/* test_golden_networks_gpu.c - the network golden test on the CUDA backend (exit 77 without one).
 *
 * Run: ctest -L gpu -R test_golden_networks_gpu. Same checks and tolerances as the CPU test
 * (tests/golden/golden_networks.h): the CUDA backend must match PyTorch as closely as the CPU
 * reference does. */
#include "golden/golden_networks.h"

int main(void) { return golden_networks_main("cuda"); }
