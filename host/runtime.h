/* runtime.h - the OpenMP runtime policy every rise program runs under (the rise command,
 * every benchmark): call rise_runtime_policy(argv) first thing in main. */
#ifndef RISE_HOST_RUNTIME_H
#define RISE_HOST_RUNTIME_H

#ifdef __cplusplus
extern "C" {
#endif

/* OpenMP threads that spin while waiting starve each other (and other processes) on a
 * loaded machine: a training step issues many short parallel regions. libgomp reads
 * OMP_WAIT_POLICY when it loads, so when the user has not chosen one this sets "passive"
 * and re-executes the program (Linux; on failure it just goes on). The benchmark peers
 * (benchmarks/peers/compare.py) give PyTorch the same setting. */
void rise_runtime_policy(char **argv);

#ifdef __cplusplus
}
#endif
#endif
