/* Declarations the build collects into the data dictionary.
 *
 * The build runs every firmware source through the preprocessor twice.
 * In the scan pass (DICT_SCAN defined) each macro below leaves a marker,
 * "__lockstep_decl__ ( kind , ... )", that tools/dictgen.c reads to build
 * the dictionary, the command table and dict_gen.h. In the real compile
 * they become ordinary C that refers to what dictgen generated.
 */
#ifndef LOCKSTEP_DECL_H
#define LOCKSTEP_DECL_H

#include <stdint.h>

/* Command flags. */
#define HF_IN_SHUTDOWN 0x01 /* may run while the MCU is shut down */

#ifdef DICT_SCAN

#define DECL_COMMAND_FLAGS(FUNC, FLAGS, MSG) __lockstep_decl__(command, FUNC, FLAGS, MSG)
#define DECL_CONSTANT(NAME, VALUE) __lockstep_decl__(constant, NAME, VALUE)
#define DECL_CONSTANT_STR(NAME, VALUE) __lockstep_decl__(constant_str, NAME, VALUE)
#define DECL_ENUMERATION(ENUM, NAME, VALUE) __lockstep_decl__(enumeration, ENUM, NAME, VALUE)
#define DECL_ENUMERATION_RANGE(ENUM, NAME, VALUE, COUNT)                                           \
    __lockstep_decl__(enumeration_range, ENUM, NAME, VALUE, COUNT)
#define DECL_INIT(FUNC) __lockstep_decl__(init, FUNC)
#define DECL_TASK(FUNC) __lockstep_decl__(task, FUNC)
#define DECL_SHUTDOWN(FUNC) __lockstep_decl__(shutdown, FUNC)
#define sendf(FMT, ...) __lockstep_decl__(response, FMT)
#define output(FMT, ...) __lockstep_decl__(output, FMT)
#define DICT_STATIC_STRING(MSG) __lockstep_decl__(static_string, MSG)

#else

#include "command.h"
#include "dict_gen.h" /* written by dictgen for this build */

/* A command handler receives its parameters already decoded: one
 * uint32_t per integer, two (length, pointer) per buffer. */
#define DECL_COMMAND_FLAGS(FUNC, FLAGS, MSG) void FUNC(uint32_t *args)
#define DECL_CONSTANT(NAME, VALUE) struct dict_unused_decl
#define DECL_CONSTANT_STR(NAME, VALUE) struct dict_unused_decl
#define DECL_ENUMERATION(ENUM, NAME, VALUE) struct dict_unused_decl
#define DECL_ENUMERATION_RANGE(ENUM, NAME, VALUE, COUNT) struct dict_unused_decl
#define DECL_INIT(FUNC) void FUNC(void)
#define DECL_TASK(FUNC) void FUNC(void)
#define DECL_SHUTDOWN(FUNC) void FUNC(void)

/* dictgen emits DICT_RESPONSE(FMT) and DICT_STATIC_STRING(MSG) as chains
 * of __builtin_strcmp on literals that the compiler folds to one
 * constant; a string the scan did not see fails to link. */
#define sendf(FMT, ...) command_sendf(DICT_RESPONSE(FMT), ##__VA_ARGS__)
#define output(FMT, ...) command_sendf(DICT_RESPONSE(FMT), ##__VA_ARGS__)

#endif

#define DECL_COMMAND(FUNC, MSG) DECL_COMMAND_FLAGS(FUNC, 0, MSG)

#endif
