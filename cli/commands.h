/* Subcommands of the lockstep program. Each takes its own argv, with
 * argv[0] the subcommand name, and returns the process exit status. */
#ifndef LOCKSTEP_CLI_COMMANDS_H
#define LOCKSTEP_CLI_COMMANDS_H

int cmd_sim(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_batch(int argc, char **argv);
/* lockstep run: G-code on the digital twin (cmd_run.c) */
int cmd_run(int argc, char **argv);
/* lockstep view: the SDL2 viewer (cmd_view.c) */
int cmd_view(int argc, char **argv);
/* lockstep bench host (cmd_bench_host.c) */
int bench_host(int argc, char **argv);
/* lockstep golden check|update (cmd_golden.c) */
int cmd_golden(int argc, char **argv);
/* lockstep run SCENARIO.scn: run it and judge its expectations */
int run_scenario(const char *path, const char *trace_path);
/* lockstep bench twin (cmd_bench_twin.c) */
int bench_twin(int argc, char **argv);
/* lockstep trace export: a trace as VCD (cmd_trace.c) */
int cmd_trace(int argc, char **argv);

#endif
