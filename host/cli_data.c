/* cli_data.c - `rise data`: placeholder until the dataset module lands. */
#include <stdio.h>

#include "cli.h"

int rise_cmd_data(int argc, char **argv) {
    fprintf(stderr, "rise data: not built yet\n");
    return 2;
}
