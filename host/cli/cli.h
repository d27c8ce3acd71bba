/* cli/cli.h - the `rise` command's subcommands, one file each (host/cli/).
 * Each returns a process exit code: 0 success, 1 runtime failure, 2 usage. */
#ifndef RISE_CLI_H
#define RISE_CLI_H

int rise_cmd_demo(int argc, char **argv);
int rise_cmd_selftest(int argc, char **argv);
int rise_cmd_data(int argc, char **argv);
int rise_cmd_data_embed(int argc, char **argv); /* `rise data embed` (data_embed.c) */
int rise_cmd_gen(int argc, char **argv);
int rise_cmd_coverage(int argc, char **argv);
int rise_cmd_train(int argc, char **argv);
int rise_cmd_eval(int argc, char **argv);
int rise_cmd_export(int argc, char **argv);
int rise_cmd_sweep(int argc, char **argv);

#endif
