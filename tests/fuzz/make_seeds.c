/* make_seeds.c - writes the seed corpus for the reader fuzzers: valid
 * robomimic files (raw-HDF5 fixture with masks and states, one from rise's
 * writer), a D4RL file and a Minari file, small enough for libFuzzer.
 * Run: rise_fuzz_seeds DIR */
#include <sys/stat.h>

#include "fixtures/data_fixtures.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: rise_fuzz_seeds DIR\n");
        return 2;
    }
    mkdir(argv[1], 0755);
    char path[1024];
    fx_robomimic f;
    fx_default(&f);
    f.n_masks = 1;
    f.mask_names[0] = "train";
    f.mask_count[0] = 2;
    f.mask_demos[0][0] = "demo_0";
    f.mask_demos[0][1] = "demo_10";
    snprintf(path, sizeof path, "%s/robomimic.h5", argv[1]);
    int ok = fx_write_robomimic(path, &f);
    fx_default(&f);
    f.n_demos = 1;
    f.lengths[0] = 2;
    f.next_obs = 0;
    f.state_dim = 0;
    f.dones_bool = 1;
    snprintf(path, sizeof path, "%s/robomimic_small.h5", argv[1]);
    ok &= fx_write_robomimic(path, &f);
    const int64_t lens[2] = {3, 2};
    snprintf(path, sizeof path, "%s/rise_writer.h5", argv[1]);
    ok &= fx_write_simple(path, 1, 2, lens);
    snprintf(path, sizeof path, "%s/d4rl.h5", argv[1]);
    fx_write_d4rl(path);
    snprintf(path, sizeof path, "%s/minari.h5", argv[1]);
    fx_write_minari(path);
    return ok ? 0 : 1;
}
