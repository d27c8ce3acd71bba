/* label_file.c - `rise data relabel`: set rewards / dones / a filter key in a
 * file (see fileops.h). */
#include <stdlib.h>
#include <string.h>

#include "fileops.h"
#include "trainset.h"
#include "writer.h"

rise_status rise_data_relabel(const char *in, const char *out, const rise_relabel_opts *opts) {
    rise_read_opts o;
    rise_read_opts_default(&o);
    rise_episodes e;
    RISE_TRY(rise_episodes_load(in, &o, &e));
    rise_status st = RISE_OK;
    uint8_t *chosen = calloc((size_t)e.n_demos, 1);
    int64_t *list = malloc((size_t)e.n_demos * sizeof *list);
    if (!chosen || !list) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    int64_t n_chosen = 0;
    if (st == RISE_OK && opts->filter_key) {
        const int m = rise_episodes_find_mask(&e, opts->filter_key);
        if (m < 0)
            st = rise_error(RISE_ERR_INVALID, "%s: filter key 'mask/%s' not found", in,
                            opts->filter_key);
        for (int64_t j = 0; st == RISE_OK && j < e.masks[m].count; ++j)
            chosen[e.masks[m].demos[j]] = 1;
    } else if (st == RISE_OK) {
        memset(chosen, 1, (size_t)e.n_demos);
    }
    for (int64_t d = 0; st == RISE_OK && d < e.n_demos; ++d) {
        if (!chosen[d]) continue;
        list[n_chosen++] = d;
        const rise_demo *dm = &e.demos[d];
        float *rew = e.rewards + dm->start;
        uint8_t *done = e.dones + dm->start;
        for (int64_t t = 0; t < dm->length; ++t) {
            if (opts->set_reward)
                rew[t] = !opts->reward_last_only || t == dm->length - 1 ? opts->reward : 0.0f;
            if (opts->set_dones && opts->dones == RISE_TERMINAL_NEVER) done[t] = 0;
            if (opts->set_dones && opts->dones == RISE_TERMINAL_TRAJ_END)
                done[t] = t == dm->length - 1;
        }
    }
    if (st == RISE_OK && opts->add_mask) {
        const int m = rise_episodes_find_mask(&e, opts->add_mask);
        if (m >= 0) { /* replace: relabelling the same file twice stays consistent */
            free(e.masks[m].demos);
            e.masks[m] = e.masks[--e.n_masks];
        }
        st = rise_episodes_add_mask(&e, opts->add_mask, list, n_chosen);
    }
    if (st == RISE_OK) st = rise_episodes_write(&e, out);
    free(chosen);
    free(list);
    rise_episodes_free(&e);
    return st;
}
