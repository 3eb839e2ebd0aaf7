/* What the reader's files share: the parsed configuration and the error
 * helpers. Not for users of the library. */
#ifndef LOCKSTEP_CONFIG_CFG_INTERNAL_H
#define LOCKSTEP_CONFIG_CFG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfgfile.h"
#include "config_pin.h"

struct cfg_option {
    char *key;   /* lowercased */
    char *value; /* trimmed; continuation lines joined with '\n' */
    const char *path;
    int line;
    bool used;
};

struct cfg_section {
    struct cfg_file *cfg;
    char *name;
    const char *path; /* of the first header */
    int line;
    struct cfg_option *opts;
    size_t nopts, capopts;
};

struct cfg_pin_claim {
    struct config_pin pin;
    char *share; /* NULL: exclusive */
    char *where; /* "[stepper_x] option 'step_pin' (printer.cfg:12)" */
};

struct cfg_pin_list {
    char *mcu;
    char **names; /* sorted with strcmp */
    size_t count;
};

struct cfg_file {
    struct cfg_section **sections;
    size_t nsections, capsections;
    char **paths; /* every file name read; options point into this */
    size_t npaths, cappaths;
    char **warnings;
    size_t nwarnings, capwarnings;
    struct cfg_pin_claim *claims;
    size_t nclaims, capclaims;
    struct cfg_pin_list *pin_lists;
    size_t npin_lists, cappin_lists;
    bool failed;
    char error[1024];
};

void *cfg_xrealloc(void *p, size_t n, size_t size);
char *cfg_xstrdup(const char *s);
/* Grow *arr (of *cap elements of size) to hold at least need. */
void cfg_grow(void **arr, size_t *cap, size_t need, size_t size);

/* First error wins; later ones are dropped. */
void cfg_fail_at(struct cfg_file *cfg, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cfg_vfail_option(struct cfg_section *s, const char *option, const char *fmt, va_list ap);

/* The option (names compare case-insensitively) or NULL. */
struct cfg_option *cfg_find_option(const struct cfg_section *s, const char *option);

#endif
