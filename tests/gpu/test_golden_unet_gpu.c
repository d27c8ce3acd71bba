/* test_golden_unet_gpu.c - the conditional U-Net's forward and backward against PyTorch on
 * CUDA (cuDNN convolutions when loaded). Exits 77 without a device.
 * Run: ctest -R test_golden_unet_gpu. Checks and tolerances: tests/golden/golden_unet.h. */
#include "golden/golden_unet.h"

int main(void) { return golden_unet_main("cuda"); }
