/* clnet: trains neural networks described in YAML on any OpenCL device. The only file
 * outside libclnet: it parses the command line, runs the command, prints the one error
 * message a failure recorded, and turns the status into the exit code. */
#include <stdio.h>

#include "cli/cli.h"
#include "util/status.h"

int main(int argc, char **argv)
{
    struct cli_args args;
    int status = cli_parse(&args, argc, argv);
    if (status == CLNET_OK)
        status = cli_run(&args);
    if (status != CLNET_OK) {
        const char *msg = clnet_error_message();
        fprintf(stderr, "clnet: error: %s\n", msg[0] ? msg : clnet_status_name(status));
    }
    return clnet_exit_code(status);
}
