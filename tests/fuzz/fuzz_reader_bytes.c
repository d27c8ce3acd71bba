/* fuzz_reader_bytes.c - libFuzzer target: arbitrary bytes as an HDF5 file
 * image, loaded by rise's dataset reader (format auto-detected). A crash,
 * sanitizer report or hang here is a bug; an error status is the expected
 * outcome for nearly every input. Seeds: valid robomimic, D4RL and Minari
 * files from rise_fuzz_seeds. HDF5 itself parses the image, so crashes can be
 * in libhdf5 (uninstrumented) too: the report's stack says which.
 * Build and run: see tests/fuzz/CMakeLists.txt (ctest -L slow -R fuzz). */
#include <hdf5.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "data/info.h"
#include "data/reader.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 8) return 0;
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.max_bytes = (size_t)64 << 20; /* inputs claiming huge shapes must not exhaust memory */
    o.allow_nonfinite = data[size - 1] & 1;
    rise_episodes e;
    if (rise_episodes_load_image(data, size, "fuzz", &o, &e) == RISE_OK) {
        /* Loaded data must be self-consistent. */
        int64_t rows = 0;
        for (int64_t d = 0; d < e.n_demos; ++d) {
            if (e.demos[d].start != rows || e.demos[d].length <= 0) __builtin_trap();
            rows += e.demos[d].length;
        }
        if (rows != e.n) __builtin_trap();
        if (!o.allow_nonfinite && rise_episodes_count_nonfinite(&e) != 0) __builtin_trap();
        for (int64_t i = 0; i < e.n; ++i)
            if (e.dones[i] > 1) __builtin_trap();
        rise_episodes_free(&e);
    }
    return 0;
}
