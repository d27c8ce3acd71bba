/* cpu_info.h - what processor this is, for run headers and benchmark tables: the model
 * name from /proc/cpuinfo and the vector extensions the fast CPU backend cares about. */
#ifndef RISE_HOST_CPU_INFO_H
#define RISE_HOST_CPU_INFO_H

#ifdef __cplusplus
extern "C" {
#endif

/* "AMD EPYC", "Intel(R) Xeon(R) Platinum 8481C", ... or "unknown" (static storage). */
const char *rise_cpu_model(void);
/* The present ones of "avx2 fma avx512f avx512_bf16 amx_bf16", space-separated (static). */
const char *rise_cpu_features(void);
/* "<model> [<features>], <threads> threads" (static). */
const char *rise_cpu_description(void);

#ifdef __cplusplus
}
#endif
#endif
