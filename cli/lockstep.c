/* lockstep: one program, one subcommand per job. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommands[] = {
    {"sim", cmd_sim, "run a simulated atmega2560 in real time behind a pseudo-terminal"},
    {"console", cmd_console, "talk to an MCU (serial port, pty or simulated) in its own protocol"},
    {"bench", cmd_bench, "benchmarks that print figures (step-rate)"},
    {"batch", cmd_batch, "turn G-code into the exact MCU command stream, with no MCU (batch mode)"},
    {"dump", cmd_dump, "print a file of message blocks (batch output) as commands"},
    {"run", cmd_run, "print G-code on the digital twin: simulated MCU, steppers, heaters"},
    {"golden", cmd_golden, "run the scenarios and compare their traces with golden/"},
    {"trace", cmd_trace, "export a trace as VCD for a waveform viewer (GTKWave)"},
    {"view", cmd_view, "show planned (and executed) moves in an SDL2 window, or as a PNG"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: lockstep COMMAND [ARGS...]\n\n"
               "A deterministic digital twin of a Klipper-class printer control stack.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        fprintf(f, "  %-9s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\nRun 'lockstep COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lockstep: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
