/* For harnesses whose code under test reads a file: the input written to
 * NAME in a directory of the harness's own (made once per process), so
 * that files the input names relative to it are not the machine's. */
#ifndef LOCKSTEP_TESTS_FUZZ_FILE_H
#define LOCKSTEP_TESTS_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* The file's path (static storage); aborts if it cannot be written. */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

#endif
