#include "cfg_internal.h"
#include "cfgfile.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The line SAVE_CONFIG writes above its block, and the one it writes below
 * it (which is text, not an option, once the "#*#" is taken off). */
static const char save_config_header[] =
    "#*# <---------------------- SAVE_CONFIG ---------------------->";
static const char save_config_notice[] = "DO NOT EDIT THIS BLOCK OR BELOW";

/* Deep enough for any sane layout; stops a runaway chain of distinct files
 * (each include of a new path is not a cycle) before the stack does. */
#define CFG_MAX_INCLUDE_DEPTH 32

/* A config file is text a person wrote; anything this big is a mistake. */
#define CFG_MAX_FILE_SIZE (16L << 20)

void *cfg_xrealloc(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        abort();
    size_t bytes = n * size;
    void *r = realloc(p, bytes ? bytes : 1);
    if (!r)
        abort();
    return r;
}

char *cfg_xstrdup(const char *s)
{
    char *r = strdup(s ? s : "");
    if (!r)
        abort();
    return r;
}

void cfg_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    *arr = cfg_xrealloc(*arr, n, size);
    *cap = n;
}

static char *xstrndup(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (!r)
        abort();
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *r = malloc((size_t)n + 1);
    if (!r)
        abort();
    va_start(ap, fmt);
    vsnprintf(r, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return r;
}

const char *cfg_main_path(const struct cfg_file *cfg)
{
    return cfg->npaths ? cfg->paths[0] : "";
}

/* ---- errors ---- */

static void vfail_at(struct cfg_file *cfg, const char *path, int line, const char *fmt, va_list ap)
{
    if (cfg->failed)
        return;
    cfg->failed = true;
    int n = 0;
    if (path && line > 0)
        n = snprintf(cfg->error, sizeof(cfg->error), "%s:%d: ", path, line);
    else if (path)
        n = snprintf(cfg->error, sizeof(cfg->error), "%s: ", path);
    if (n < 0 || (size_t)n >= sizeof(cfg->error))
        n = 0;
    vsnprintf(cfg->error + n, sizeof(cfg->error) - (size_t)n, fmt, ap);
}

void cfg_fail_at(struct cfg_file *cfg, const char *path, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(cfg, path, line, fmt, ap);
    va_end(ap);
}

void cfg_vfail_option(struct cfg_section *s, const char *option, const char *fmt, va_list ap)
{
    struct cfg_file *cfg = s->cfg;
    if (cfg->failed)
        return;
    const struct cfg_option *o = cfg_find_option(s, option);
    char msg[768];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    cfg_fail_at(cfg, o ? o->path : s->path, o ? o->line : s->line, "[%s] option '%s': %s", s->name,
                option, msg);
}

void cfg_fail_option(struct cfg_section *s, const char *option, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail_option(s, option, fmt, ap);
    va_end(ap);
}

void cfg_fail_file(struct cfg_file *cfg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(cfg, cfg_main_path(cfg), 0, fmt, ap);
    va_end(ap);
}

void cfg_fail_section(struct cfg_section *s, const char *fmt, ...)
{
    if (s->cfg->failed)
        return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_fail_at(s->cfg, s->path, s->line, "[%s]: %s", s->name, msg);
}

bool cfg_failed(const struct cfg_file *cfg)
{
    return cfg->failed;
}

const char *cfg_error(const struct cfg_file *cfg)
{
    return cfg->failed ? cfg->error : "";
}

/* ---- sections and options ---- */

size_t cfg_section_count(const struct cfg_file *cfg)
{
    return cfg->nsections;
}

struct cfg_section *cfg_section_at(const struct cfg_file *cfg, size_t i)
{
    return i < cfg->nsections ? cfg->sections[i] : NULL;
}

struct cfg_section *cfg_find_section(const struct cfg_file *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nsections; i++)
        if (strcmp(cfg->sections[i]->name, name) == 0)
            return cfg->sections[i];
    return NULL;
}

const char *cfg_section_name(const struct cfg_section *s)
{
    return s->name;
}
struct cfg_file *cfg_section_file(const struct cfg_section *s)
{
    return s->cfg;
}
const char *cfg_section_path(const struct cfg_section *s)
{
    return s->path;
}
int cfg_section_line(const struct cfg_section *s)
{
    return s->line;
}

struct cfg_option *cfg_find_option(const struct cfg_section *s, const char *option)
{
    for (size_t i = 0; i < s->nopts; i++)
        if (strcasecmp(s->opts[i].key, option) == 0)
            return &s->opts[i];
    return NULL;
}

bool cfg_has_option(const struct cfg_section *s, const char *option)
{
    return cfg_find_option(s, option) != NULL;
}

bool cfg_option_location(const struct cfg_section *s, const char *option, const char **path,
                         int *line)
{
    const struct cfg_option *o = cfg_find_option(s, option);
    if (!o)
        return false;
    if (path)
        *path = o->path;
    if (line)
        *line = o->line;
    return true;
}

size_t cfg_option_count(const struct cfg_section *s)
{
    return s->nopts;
}

const char *cfg_option_name(const struct cfg_section *s, size_t i)
{
    return i < s->nopts ? s->opts[i].key : NULL;
}

size_t cfg_warning_count(const struct cfg_file *cfg)
{
    return cfg->nwarnings;
}

const char *cfg_warning(const struct cfg_file *cfg, size_t i)
{
    return i < cfg->nwarnings ? cfg->warnings[i] : NULL;
}

void cfg_check_unused(struct cfg_section *s)
{
    for (size_t i = 0; i < s->nopts; i++) {
        const struct cfg_option *o = &s->opts[i];
        if (!o->used) {
            cfg_fail_at(s->cfg, o->path, o->line, "Option '%s' is not valid in section '%s'",
                        o->key, s->name);
            return;
        }
    }
}

static struct cfg_section *get_section(struct cfg_file *cfg, const char *name, const char *path,
                                       int line)
{
    struct cfg_section *s = cfg_find_section(cfg, name);
    if (s)
        return s;
    cfg_grow((void **)&cfg->sections, &cfg->capsections, cfg->nsections + 1,
             sizeof(*cfg->sections));
    s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->cfg = cfg;
    s->name = cfg_xstrdup(name);
    s->path = path;
    s->line = line;
    cfg->sections[cfg->nsections++] = s;
    return s;
}

/* Later definitions replace earlier ones, as Klipper reads its files. */
static size_t set_option(struct cfg_section *s, char *key, const char *value, const char *path,
                         int line)
{
    for (size_t i = 0; i < s->nopts; i++) {
        struct cfg_option *o = &s->opts[i];
        if (strcmp(o->key, key) == 0) {
            free(key);
            free(o->value);
            o->value = cfg_xstrdup(value);
            o->path = path;
            o->line = line;
            return i;
        }
    }
    cfg_grow((void **)&s->opts, &s->capopts, s->nopts + 1, sizeof(*s->opts));
    s->opts[s->nopts] =
        (struct cfg_option){.key = key, .value = cfg_xstrdup(value), .path = path, .line = line};
    return s->nopts++;
}

static void append_value(struct cfg_option *o, const char *text, int blank_lines)
{
    size_t old = strlen(o->value), add = strlen(text);
    o->value = cfg_xrealloc(o->value, old + (size_t)blank_lines + 1 + add + 1, 1);
    char *p = o->value + old;
    for (int i = 0; i < blank_lines; i++)
        *p++ = '\n';
    *p++ = '\n';
    memcpy(p, text, add + 1);
}

static const char *intern_path(struct cfg_file *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->npaths; i++)
        if (strcmp(cfg->paths[i], path) == 0)
            return cfg->paths[i];
    cfg_grow((void **)&cfg->paths, &cfg->cappaths, cfg->npaths + 1, sizeof(*cfg->paths));
    cfg->paths[cfg->npaths] = cfg_xstrdup(path);
    return cfg->paths[cfg->npaths++];
}

static void add_warning(struct cfg_file *cfg, char *msg)
{
    cfg_grow((void **)&cfg->warnings, &cfg->capwarnings, cfg->nwarnings + 1,
             sizeof(*cfg->warnings));
    cfg->warnings[cfg->nwarnings++] = msg;
}

void cfg_free(struct cfg_file *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->nsections; i++) {
        struct cfg_section *s = cfg->sections[i];
        for (size_t j = 0; j < s->nopts; j++) {
            free(s->opts[j].key);
            free(s->opts[j].value);
        }
        free(s->opts);
        free(s->name);
        free(s);
    }
    free(cfg->sections);
    for (size_t i = 0; i < cfg->npaths; i++)
        free(cfg->paths[i]);
    free(cfg->paths);
    for (size_t i = 0; i < cfg->nwarnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    for (size_t i = 0; i < cfg->nclaims; i++) {
        free(cfg->claims[i].share);
        free(cfg->claims[i].where);
    }
    free(cfg->claims);
    for (size_t i = 0; i < cfg->npin_lists; i++) {
        for (size_t j = 0; j < cfg->pin_lists[i].count; j++)
            free(cfg->pin_lists[i].names[j]);
        free(cfg->pin_lists[i].names);
        free(cfg->pin_lists[i].mcu);
    }
    free(cfg->pin_lists);
    free(cfg);
}

/* ---- the text ---- */

struct text_line {
    char *text; /* points into a buffer owned by the caller */
    int number;
};

/* Files being read, outermost first, to recognise an include cycle. */
struct reader {
    struct cfg_file *cfg;
    char *real[CFG_MAX_INCLUDE_DEPTH];
    const char *shown[CFG_MAX_INCLUDE_DEPTH];
    size_t depth;
};

static bool is_blank(int c)
{
    return c == ' ' || c == '\t';
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A '#' or ';' after whitespace starts a comment (one right after a
 * character is part of the value, e.g. a colour "#ff0000"). */
static void cut_trailing_comment(char *s)
{
    for (char *p = s + 1; *p; p++) {
        if ((*p == '#' || *p == ';') && is_blank(p[-1])) {
            *p = '\0';
            return;
        }
    }
}

/* Split buf in place into lines; a final line without '\n' counts. */
static struct text_line *split_lines(char *buf, size_t *count)
{
    size_t n = 1;
    for (char *p = buf; *p; p++)
        n += *p == '\n';
    struct text_line *lines = cfg_xrealloc(NULL, n, sizeof(*lines));
    size_t i = 0;
    char *p = buf;
    for (;;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(p);
        if (len && p[len - 1] == '\r')
            p[len - 1] = '\0';
        lines[i] = (struct text_line){.text = p, .number = (int)i + 1};
        i++;
        if (!nl)
            break;
        p = nl + 1;
    }
    *count = i;
    return lines;
}

static bool has_glob_magic(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_file(struct reader *r, const char *path, bool is_main, const char *from_path,
                      int from_line);

/* The pattern is relative to the directory of the including file, as the
 * file name was written (Klipper joins the two the same way). */
static void include_files(struct reader *r, const char *spec, const char *path, int line)
{
    struct cfg_file *cfg = r->cfg;
    char *pattern;
    const char *slash = strrchr(path, '/');
    if (spec[0] == '/' || !slash)
        pattern = cfg_xstrdup(spec);
    else
        pattern = xasprintf("%.*s/%s", (int)(slash - path), path, spec);

    glob_t g;
    memset(&g, 0, sizeof(g));
    int rc = glob(pattern, GLOB_NOSORT, NULL, &g);
    if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
        /* Klipper's rule: a wildcard may match nothing (an empty folder of
         * optional macros), a plain file name must exist. */
        if (has_glob_magic(pattern))
            add_warning(cfg, xasprintf("%s:%d: [include %s]: no file matches '%s'", path, line,
                                       spec, pattern));
        else
            cfg_fail_at(cfg, path, line, "[include %s]: include file '%s' does not exist", spec,
                        pattern);
    } else if (rc != 0) {
        cfg_fail_at(cfg, path, line, "[include %s]: cannot expand '%s'", spec, pattern);
    } else {
        /* Name order, independent of the locale, so every run reads the
         * same files in the same order. */
        qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), compare_names);
        for (size_t i = 0; i < g.gl_pathc && !cfg->failed; i++)
            read_file(r, g.gl_pathv[i], false, path, line);
    }
    globfree(&g);
    free(pattern);
}

/* Parse lines of one file (or of its SAVE_CONFIG block). */
static void parse_lines(struct reader *r, struct text_line *lines, size_t nlines, const char *path,
                        bool allow_include)
{
    struct cfg_file *cfg = r->cfg;
    struct cfg_section *section = NULL;
    size_t option = 0;
    bool continuing = false; /* the last option may take continuation lines */
    size_t option_indent = 0;
    int blank_lines = 0; /* kept inside a multi-line value only if more follows */

    for (size_t i = 0; i < nlines && !cfg->failed; i++) {
        char *text = lines[i].text;
        int number = lines[i].number;
        size_t indent = 0;
        while (is_blank(text[indent]))
            indent++;
        char *rest = text + indent;
        if (*rest == '\0') {
            if (continuing)
                blank_lines++;
            continue;
        }
        if (*rest == '#' || *rest == ';')
            continue;
        cut_trailing_comment(rest);
        rest = trim(rest);

        if (indent > option_indent && continuing) {
            append_value(&section->opts[option], rest, blank_lines);
            blank_lines = 0;
            continue;
        }
        continuing = false;
        blank_lines = 0;

        if (*rest == '[') {
            char *close = strrchr(rest, ']');
            if (!close) {
                cfg_fail_at(cfg, path, number, "section header '%s' has no closing ']'", rest);
                return;
            }
            if (close[1] != '\0') {
                cfg_fail_at(cfg, path, number, "unexpected text '%s' after section header",
                            close + 1);
                return;
            }
            *close = '\0';
            char *name = trim(rest + 1);
            if (!*name) {
                cfg_fail_at(cfg, path, number, "empty section name '[]'");
                return;
            }
            if (strncmp(name, "include", 7) == 0 && (name[7] == '\0' || is_blank(name[7]))) {
                char *spec = trim(name + 7);
                if (!allow_include) {
                    cfg_fail_at(cfg, path, number,
                                "[include %s] is not allowed inside the SAVE_CONFIG block", spec);
                    return;
                }
                if (!*spec) {
                    cfg_fail_at(cfg, path, number, "[include] needs a file name or pattern");
                    return;
                }
                include_files(r, spec, path, number);
                /* Options after an include need a header of their own. */
                section = NULL;
                continue;
            }
            section = get_section(cfg, name, path, number);
            continue;
        }

        char *sep = strpbrk(rest, ":=");
        if (!sep) {
            if (section)
                cfg_fail_at(cfg, path, number,
                            "[%s]: expected 'option: value' or 'option = value', got '%s'",
                            section->name, rest);
            else
                cfg_fail_at(cfg, path, number, "expected a [section] header, got '%s'", rest);
            return;
        }
        char delim = *sep;
        *sep = '\0';
        char *key = trim(rest);
        char *value = trim(sep + 1);
        if (!*key) {
            cfg_fail_at(cfg, path, number, "missing option name before '%c'", delim);
            return;
        }
        if (!section) {
            cfg_fail_at(cfg, path, number,
                        "option '%s' is outside any section (no [section] header above it)", key);
            return;
        }
        char *lower = cfg_xstrdup(key);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        option = set_option(section, lower, value, path, number);
        continuing = true;
        option_indent = indent;
    }
}

static bool is_save_config_header(const char *line)
{
    size_t n = strlen(save_config_header);
    if (strncmp(line, save_config_header, n) != 0)
        return false;
    for (line += n; *line; line++)
        if (!isspace((unsigned char)*line))
            return false;
    return true;
}

/* The block SAVE_CONFIG keeps at the end of the main file: after its
 * header, only "#*#" lines (and blank ones). Returns the index of the
 * header, or nlines if there is none; strips the prefixes in place. */
static size_t split_save_config(struct reader *r, struct text_line *lines, size_t nlines,
                                const char *path)
{
    size_t header = nlines;
    for (size_t i = 0; i < nlines; i++) {
        if (is_save_config_header(lines[i].text)) {
            header = i;
            break;
        }
    }
    for (size_t i = header + 1; i < nlines; i++) {
        char *t = lines[i].text;
        if (strncmp(t, "#*#", 3) == 0) {
            t += 3;
            if (*t == ' ')
                t++;
            if (i == header + 1 && strncmp(t, save_config_notice, strlen(save_config_notice)) == 0)
                t += strlen(t);
            lines[i].text = t;
            continue;
        }
        const char *p = t;
        while (isspace((unsigned char)*p))
            p++;
        if (*p) {
            cfg_fail_at(r->cfg, path, lines[i].number,
                        "after the SAVE_CONFIG header (line %d) every line must start with "
                        "'#*#', got '%s' (the block belongs at the end of the file)",
                        lines[header].number, t);
            return nlines;
        }
    }
    return header;
}

static char *slurp(FILE *f, const char *path, struct cfg_file *cfg, const char *from_path,
                   int from_line)
{
    size_t cap = 4096, len = 0;
    char *buf = cfg_xrealloc(NULL, cap, 1);
    for (;;) {
        if (len + 1 == cap) {
            if (cap > (size_t)CFG_MAX_FILE_SIZE) {
                cfg_fail_at(cfg, from_path, from_line, "config file '%s' is too large", path);
                free(buf);
                return NULL;
            }
            cap *= 2;
            buf = cfg_xrealloc(buf, cap, 1);
        }
        size_t n = fread(buf + len, 1, cap - 1 - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        cfg_fail_at(cfg, from_path, from_line, "cannot read config file '%s': %s", path,
                    strerror(errno));
        free(buf);
        return NULL;
    }
    if (memchr(buf, '\0', len)) {
        cfg_fail_at(cfg, from_path, from_line, "config file '%s' is not text (it has a NUL byte)",
                    path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static void parse_buffer(struct reader *r, char *buf, const char *shown, bool is_main)
{
    size_t nlines;
    struct text_line *lines = split_lines(buf, &nlines);
    size_t regular = is_main ? split_save_config(r, lines, nlines, shown) : nlines;
    if (!r->cfg->failed)
        parse_lines(r, lines, regular, shown, true);
    /* Read after everything else, includes too, so that it overrides. */
    if (!r->cfg->failed && regular < nlines)
        parse_lines(r, lines + regular + 1, nlines - regular - 1, shown, false);
    free(lines);
}

static void read_file(struct reader *r, const char *path, bool is_main, const char *from_path,
                      int from_line)
{
    struct cfg_file *cfg = r->cfg;
    /* The real path tells an include cycle; a pipe (/dev/stdin, a shell's
     * <(...)) has none, and is told by the name it was given. A file that
     * is not there fails to open below. */
    char *real = realpath(path, NULL);
    if (!real)
        real = xstrndup(path, strlen(path));
    for (size_t i = 0; i < r->depth; i++) {
        if (strcmp(r->real[i], real) == 0) {
            char chain[512] = "";
            size_t n = 0;
            for (size_t j = i; j < r->depth && n < sizeof(chain); j++)
                n += (size_t)snprintf(chain + n, sizeof(chain) - n, "%s -> ", r->shown[j]);
            if (n < sizeof(chain))
                snprintf(chain + n, sizeof(chain) - n, "%s", path);
            cfg_fail_at(cfg, from_path, from_line, "include cycle: %s", chain);
            free(real);
            return;
        }
    }
    if (r->depth == CFG_MAX_INCLUDE_DEPTH) {
        cfg_fail_at(cfg, from_path, from_line, "includes nested more than %d deep at '%s'",
                    CFG_MAX_INCLUDE_DEPTH, path);
        free(real);
        return;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        cfg_fail_at(cfg, from_path, from_line, "cannot open config file '%s': %s", path,
                    strerror(errno));
        free(real);
        return;
    }
    char *buf = slurp(f, path, cfg, from_path, from_line);
    fclose(f);
    if (!buf) {
        free(real);
        return;
    }
    const char *shown = intern_path(cfg, path);
    r->real[r->depth] = real;
    r->shown[r->depth] = shown;
    r->depth++;
    parse_buffer(r, buf, shown, is_main);
    r->depth--;
    free(real);
    free(buf);
}

static struct cfg_file *finish(struct cfg_file *cfg, char *err, size_t errlen)
{
    if (!cfg->failed)
        return cfg;
    if (err && errlen)
        snprintf(err, errlen, "%s", cfg->error);
    cfg_free(cfg);
    return NULL;
}

static struct cfg_file *new_cfg(void)
{
    struct cfg_file *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        abort();
    return cfg;
}

struct cfg_file *cfg_load(const char *path, char *err, size_t errlen)
{
    struct cfg_file *cfg = new_cfg();
    struct reader r = {.cfg = cfg};
    read_file(&r, path, true, NULL, 0);
    return finish(cfg, err, errlen);
}

struct cfg_file *cfg_load_string(const char *text, const char *name, char *err, size_t errlen)
{
    struct cfg_file *cfg = new_cfg();
    struct reader r = {.cfg = cfg};
    const char *shown = intern_path(cfg, name ? name : "<string>");
    /* The text's own name takes part in cycle detection only if it names a
     * real file (a test may pass a name in a temporary directory). */
    char *real = realpath(shown, NULL);
    if (real) {
        r.real[0] = real;
        r.shown[0] = shown;
        r.depth = 1;
    }
    char *buf = xstrndup(text, strlen(text));
    parse_buffer(&r, buf, shown, true);
    free(buf);
    free(real);
    return finish(cfg, err, errlen);
}
