/* test_golden_unet.c - the conditional U-Net's forward and backward against PyTorch, CPU.
 * Run: ctest -R test_golden_unet. Checks and tolerances: tests/golden/golden_unet.h; the
 * reference comes from tests/golden/make_golden_unet.py. */
#include "golden/golden_unet.h"

int main(void) { return golden_unet_main("cpu"); }
