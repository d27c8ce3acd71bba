/* cli/args.h - option-value parsing shared by the `rise` subcommands. Each
 * reads argv[*i + 1], checks it, advances *i, and on bad input prints which
 * option, what was expected and what was found, then returns 0. */
#ifndef RISE_CLI_ARGS_H
#define RISE_CLI_ARGS_H

int rise_arg_long(int argc, char **argv, int *i, long lo, long hi, long *out);
int rise_arg_double(int argc, char **argv, int *i, double lo, double hi, double *out);
int rise_arg_string(int argc, char **argv, int *i, const char **out);

#endif
