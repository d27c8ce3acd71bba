/* cpu_info.c - the processor's model name and vector extensions (see cpu_info.h), read
 * from /proc/cpuinfo's first processor (Linux); "unknown" elsewhere. */
#include "cpu_info.h"

#include <omp.h>
#include <stdio.h>
#include <string.h>

static char model[128], features[128], description[320];

/* The value of the first "key : value" line of /proc/cpuinfo starting with `key`. */
static int cpuinfo_field(const char *key, char *out, size_t size) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return 0;
    static char line[8192];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) != 0) continue;
        const char *colon = strchr(line, ':');
        if (!colon) continue;
        colon += 1 + (colon[1] == ' ');
        snprintf(out, size, "%s", colon);
        out[strcspn(out, "\n")] = 0;
        found = 1;
    }
    fclose(f);
    return found;
}

const char *rise_cpu_model(void) {
    if (!model[0] && !cpuinfo_field("model name", model, sizeof model))
        snprintf(model, sizeof model, "unknown");
    return model;
}

const char *rise_cpu_features(void) {
    if (features[0]) return features;
    static char flags[8192];
    if (!cpuinfo_field("flags", flags, sizeof flags)) flags[0] = 0;
    static const char *const wanted[] = {"avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16"};
    size_t used = 0;
    for (size_t i = 0; i < sizeof wanted / sizeof *wanted; ++i) {
        char pat[32];
        snprintf(pat, sizeof pat, " %s ", wanted[i]);
        char padded[8200];
        snprintf(padded, sizeof padded, " %s ", flags);
        if (!strstr(padded, pat)) continue;
        used += (size_t)snprintf(features + used, sizeof features - used, "%s%s", used ? " " : "",
                                 wanted[i]);
    }
    if (!used) snprintf(features, sizeof features, "none of avx2/avx512 found");
    return features;
}

const char *rise_cpu_description(void) {
    snprintf(description, sizeof description, "%s [%s], %d threads", rise_cpu_model(),
             rise_cpu_features(), omp_get_max_threads());
    return description;
}
