/* dictgen: build the firmware's data dictionary from its own declarations.
 *
 * Input: the firmware sources after the preprocessor ran with DICT_SCAN
 * defined, where every DECL_* / sendf / shutdown left a marker
 * "__lockstep_decl__(kind, args...)" (see firmware/src/decl.h).
 * Output, in --out DIR:
 *   dict.json   the data dictionary, as the host reads it
 *   dict_gen.c  command table, response encoders, the zlib-compressed
 *               dictionary, and the init/task/shutdown lists
 *   dict_gen.h  string-to-id mappings the compiler folds to constants
 * Identifiers are assigned in sorted order so that the same declarations
 * always give the same dictionary, whatever the file order. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MARKER "__lockstep_decl__"
#define MAX_ARGS 6
#define MAX_CMD_PARAMS 10
#define MAX_RESP_PARAMS 6

/* Parameter type codes; must match the PT_* enum in firmware/src/command.h. */
enum { PT_uint32, PT_int32, PT_uint16, PT_int16, PT_byte, PT_string, PT_buffer };

struct decl_arg {
    char *text; /* raw tokens, trimmed */
    char *str;  /* concatenated string literal value, or NULL */
};

struct strlist {
    char **v;
    size_t n, cap;
};

struct command {
    char *func, *fmt;
    long flags;
};

static struct {
    struct command *cmds;
    size_t ncmds, capcmds;
    struct strlist responses, outputs, static_strings, inits, tasks, shutdowns;
    json_t *config, *enums;
    const char *where; /* file being read, for messages */
} g;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dictgen: ");
    if (g.where)
        fprintf(stderr, "%s: ", g.where);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *r = xrealloc(NULL, n + 1);
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

static void strlist_add(struct strlist *l, const char *s, int unique)
{
    if (unique)
        for (size_t i = 0; i < l->n; i++)
            if (!strcmp(l->v[i], s))
                return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = xstrndup(s, strlen(s));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strlist_sort(struct strlist *l)
{
    if (l->n)
        qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

/****************************************************************
 * Reading the markers
 ****************************************************************/

/* Decode one C string literal starting at *pp (at the opening quote),
 * appending its value to out. */
static const char *read_literal(const char *p, char **out, size_t *outlen)
{
    p++;
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\') {
            c = *p++;
            switch (c) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case '\\':
            case '"':
            case '\'':
                break;
            default:
                die("unsupported escape \\%c in a declared string", c);
            }
        }
        *out = xrealloc(*out, *outlen + 2);
        (*out)[(*outlen)++] = c;
        (*out)[*outlen] = 0;
    }
    if (*p != '"')
        die("unterminated string literal in a declaration");
    return p + 1;
}

/* Parse "(a, b, ...)" at p; returns the position after ')'. */
static const char *read_args(const char *p, struct decl_arg *args, int *nargs)
{
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '(')
        die("expected '(' after " MARKER);
    p++;
    *nargs = 0;
    for (;;) {
        if (*nargs == MAX_ARGS)
            die("too many arguments in a declaration");
        struct decl_arg *a = &args[(*nargs)++];
        a->str = NULL;
        size_t slen = 0;
        int depth = 0, only_literals = 1;
        const char *start = p;
        while (*p) {
            if (*p == '"') {
                p = read_literal(p, &a->str, &slen);
                if (!a->str)
                    a->str = xstrndup("", 0);
                continue;
            }
            if (*p == '\'') {
                /* a character literal, which may hold a quote or comma */
                only_literals = 0;
                p++;
                while (*p && *p != '\'')
                    p += (*p == '\\' && p[1]) ? 2 : 1;
                if (*p)
                    p++;
                continue;
            }
            if (*p == '(')
                depth++;
            else if (*p == ')') {
                if (!depth)
                    break;
                depth--;
            } else if (*p == ',' && !depth)
                break;
            if (!isspace((unsigned char)*p))
                only_literals = 0;
            p++;
        }
        if (!*p)
            die("unterminated declaration");
        const char *e = p;
        while (start < e && isspace((unsigned char)*start))
            start++;
        while (e > start && isspace((unsigned char)e[-1]))
            e--;
        a->text = xstrndup(start, e - start);
        if (!only_literals && a->str) {
            free(a->str);
            a->str = NULL;
        }
        if (*p++ == ')')
            return p;
    }
}

/* Integer expressions as constants reach us after macro expansion:
 * numbers with C suffixes, parentheses, casts to integer types are not
 * supported, + - * / << >> | are. */
static const char *ep;
static long long eval_or(void);
static long long eval_atom(void)
{
    while (isspace((unsigned char)*ep))
        ep++;
    if (*ep == '(') {
        ep++;
        long long v = eval_or();
        while (isspace((unsigned char)*ep))
            ep++;
        if (*ep++ != ')')
            die("expected ')' in constant expression");
        return v;
    }
    if (*ep == '-') {
        ep++;
        return -eval_atom();
    }
    if (ep[0] == '\'' && ep[1] && ep[1] != '\\' && ep[2] == '\'') {
        long long v = (unsigned char)ep[1];
        ep += 3;
        return v;
    }
    if (!isdigit((unsigned char)*ep))
        die("constant expression is not an integer: '%s'", ep);
    char *end;
    errno = 0;
    long long v = strtoll(ep, &end, 0);
    if (errno)
        die("constant out of range: '%s'", ep);
    ep = end;
    while (*ep == 'u' || *ep == 'U' || *ep == 'l' || *ep == 'L')
        ep++;
    return v;
}
static long long eval_mul(void)
{
    long long v = eval_atom();
    for (;;) {
        while (isspace((unsigned char)*ep))
            ep++;
        if (*ep == '*') {
            ep++;
            v *= eval_atom();
        } else if (*ep == '/') {
            ep++;
            long long d = eval_atom();
            if (!d)
                die("division by zero in constant expression");
            v /= d;
        } else
            return v;
    }
}
static long long eval_add(void)
{
    long long v = eval_mul();
    for (;;) {
        while (isspace((unsigned char)*ep))
            ep++;
        if (*ep == '+') {
            ep++;
            v += eval_mul();
        } else if (*ep == '-') {
            ep++;
            v -= eval_mul();
        } else
            return v;
    }
}
static long long eval_shift(void)
{
    long long v = eval_add();
    for (;;) {
        while (isspace((unsigned char)*ep))
            ep++;
        if (ep[0] == '<' && ep[1] == '<') {
            ep += 2;
            v <<= eval_add();
        } else if (ep[0] == '>' && ep[1] == '>') {
            ep += 2;
            v >>= eval_add();
        } else
            return v;
    }
}
static long long eval_or(void)
{
    long long v = eval_shift();
    for (;;) {
        while (isspace((unsigned char)*ep))
            ep++;
        if (*ep == '|' && ep[1] != '|') {
            ep++;
            v |= eval_shift();
        } else
            return v;
    }
}
static long long eval(const char *text)
{
    ep = text;
    long long v = eval_or();
    while (isspace((unsigned char)*ep))
        ep++;
    if (*ep)
        die("unexpected '%s' in constant expression '%s'", ep, text);
    return v;
}

static const char *need_str(struct decl_arg *a, const char *what)
{
    if (!a->str)
        die("%s must be a string literal, got '%s'", what, a->text);
    return a->str;
}

static void need_nargs(const char *kind, int n, int want)
{
    if (n != want)
        die("%s declaration takes %d arguments, got %d", kind, want, n);
}

static void add_enum(const char *enumname, const char *name, json_t *value)
{
    json_t *e = json_object_get(g.enums, enumname);
    if (!e) {
        e = json_object();
        json_object_set_new(g.enums, enumname, e);
    }
    json_t *old = json_object_get(e, name);
    if (old && !json_equal(old, value))
        die("enumeration %s value %s declared twice with different values", enumname, name);
    json_object_set_new(e, name, value);
}

static int format_types(const char *fmt, int *types, int max);

static void take_decl(const char *kind, struct decl_arg *a, int n)
{
    int types[MAX_CMD_PARAMS];
    if (!strcmp(kind, "command")) {
        need_nargs(kind, n, 3);
        const char *fmt = need_str(&a[2], "a command format");
        format_types(fmt, types, MAX_CMD_PARAMS);
        for (size_t i = 0; i < g.ncmds; i++) {
            if (!strcmp(g.cmds[i].fmt, fmt))
                die("command '%s' declared twice", fmt);
            if (!strcmp(g.cmds[i].func, a[0].text))
                die("handler %s declared for two commands", a[0].text);
        }
        if (g.ncmds == g.capcmds) {
            g.capcmds = g.capcmds ? 2 * g.capcmds : 32;
            g.cmds = xrealloc(g.cmds, g.capcmds * sizeof(*g.cmds));
        }
        g.cmds[g.ncmds].func = xstrndup(a[0].text, strlen(a[0].text));
        g.cmds[g.ncmds].fmt = xstrndup(fmt, strlen(fmt));
        g.cmds[g.ncmds].flags = eval(a[1].text);
        g.ncmds++;
    } else if (!strcmp(kind, "response")) {
        need_nargs(kind, n, 1);
        format_types(need_str(&a[0], "a sendf() format"), types, MAX_RESP_PARAMS);
        strlist_add(&g.responses, a[0].str, 1);
    } else if (!strcmp(kind, "output")) {
        need_nargs(kind, n, 1);
        format_types(need_str(&a[0], "an output() format"), types, MAX_RESP_PARAMS);
        strlist_add(&g.outputs, a[0].str, 1);
    } else if (!strcmp(kind, "static_string")) {
        need_nargs(kind, n, 1);
        strlist_add(&g.static_strings, need_str(&a[0], "a shutdown message"), 1);
    } else if (!strcmp(kind, "constant")) {
        need_nargs(kind, n, 2);
        const char *name = need_str(&a[0], "a constant's name");
        json_t *v = json_integer(eval(a[1].text));
        json_t *old = json_object_get(g.config, name);
        if (old && !json_equal(old, v))
            die("constant %s declared twice with different values", name);
        json_object_set_new(g.config, name, v);
    } else if (!strcmp(kind, "constant_str")) {
        need_nargs(kind, n, 2);
        const char *name = need_str(&a[0], "a constant's name");
        json_t *v = json_string(need_str(&a[1], "a string constant's value"));
        json_t *old = json_object_get(g.config, name);
        if (old && !json_equal(old, v))
            die("constant %s declared twice with different values", name);
        json_object_set_new(g.config, name, v);
    } else if (!strcmp(kind, "enumeration")) {
        need_nargs(kind, n, 3);
        add_enum(need_str(&a[0], "an enumeration's name"),
                 need_str(&a[1], "an enumeration value's name"), json_integer(eval(a[2].text)));
    } else if (!strcmp(kind, "enumeration_range")) {
        need_nargs(kind, n, 4);
        json_t *range = json_pack("[II]", (json_int_t)eval(a[2].text), (json_int_t)eval(a[3].text));
        add_enum(need_str(&a[0], "an enumeration's name"),
                 need_str(&a[1], "an enumeration range's first name"), range);
    } else if (!strcmp(kind, "init")) {
        need_nargs(kind, n, 1);
        strlist_add(&g.inits, a[0].text, 1);
    } else if (!strcmp(kind, "task")) {
        need_nargs(kind, n, 1);
        strlist_add(&g.tasks, a[0].text, 1);
    } else if (!strcmp(kind, "shutdown")) {
        need_nargs(kind, n, 1);
        strlist_add(&g.shutdowns, a[0].text, 1);
    } else {
        die("unknown declaration kind '%s'", kind);
    }
}

static void scan_file(const char *path)
{
    g.where = path;
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open: %s", strerror(errno));
    char *buf = NULL;
    size_t len = 0;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        buf = xrealloc(buf, len + n + 1);
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf)
        buf = xstrndup("", 0);
    buf[len] = 0;
    const char *p = buf;
    while ((p = strstr(p, MARKER))) {
        p += strlen(MARKER);
        struct decl_arg args[MAX_ARGS + 1];
        int nargs;
        p = read_args(p, args, &nargs);
        if (nargs < 1)
            die("empty declaration");
        take_decl(args[0].text, args + 1, nargs - 1);
        for (int i = 0; i < nargs; i++) {
            free(args[i].text);
            free(args[i].str);
        }
    }
    free(buf);
    g.where = NULL;
}

/****************************************************************
 * Formats
 ****************************************************************/

/* Parameter types of a format: "name=%c ..." for commands and sendf,
 * printf-style free text for output(). Returns the count. */
static int format_types(const char *fmt, int *types, int max)
{
    int n = 0;
    for (const char *p = fmt; (p = strchr(p, '%'));) {
        p++;
        int t;
        if (!strncmp(p, "u", 1)) {
            t = PT_uint32;
            p += 1;
        } else if (!strncmp(p, "i", 1)) {
            t = PT_int32;
            p += 1;
        } else if (!strncmp(p, "hu", 2)) {
            t = PT_uint16;
            p += 2;
        } else if (!strncmp(p, "hi", 2)) {
            t = PT_int16;
            p += 2;
        } else if (!strncmp(p, "c", 1)) {
            t = PT_byte;
            p += 1;
        } else if (!strncmp(p, "s", 1)) {
            t = PT_string;
            p += 1;
        } else if (!strncmp(p, ".*s", 3) || !strncmp(p, "*s", 2)) {
            t = PT_buffer;
            p += (*p == '.') ? 3 : 2;
        } else
            die("unsupported parameter type at '%%%s' in '%s'", p, fmt);
        if (n == max)
            die("too many parameters in '%s' (at most %d)", fmt, max);
        types[n++] = t;
    }
    return n;
}

/****************************************************************
 * Output
 ****************************************************************/

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write %s: %s", path, strerror(errno));
    return f;
}

static void close_out(FILE *f, const char *name)
{
    if (ferror(f) || fclose(f))
        die("error writing %s", name);
}

static void c_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static int cmp_cmd(const void *a, const void *b)
{
    return strcmp(((const struct command *)a)->fmt, ((const struct command *)b)->fmt);
}

int main(int argc, char **argv)
{
    const char *mcu = NULL, *version = NULL, *out = NULL, *build_versions = "";
    int first_input = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mcu") && i + 1 < argc)
            mcu = argv[++i];
        else if (!strcmp(argv[i], "--version") && i + 1 < argc)
            version = argv[++i];
        else if (!strcmp(argv[i], "--build-versions") && i + 1 < argc)
            build_versions = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "dictgen: unknown option %s\n", argv[i]);
            return 2;
        } else {
            first_input = i;
            break;
        }
    }
    if (!mcu || !version || !out || first_input == argc) {
        fprintf(stderr, "usage: dictgen --mcu NAME --version V [--build-versions S] --out DIR "
                        "SCANNED.i...\n");
        return 2;
    }
    g.config = json_object();
    g.enums = json_object();
    for (int i = first_input; i < argc; i++)
        scan_file(argv[i]);

    /* identify and identify_response have fixed ids 1 and 0. */
    const char *identify = "identify offset=%u count=%c";
    const char *identify_resp = "identify_response offset=%u data=%.*s";
    int have_identify = 0;
    for (size_t i = 0; i < g.ncmds; i++)
        if (!strcmp(g.cmds[i].fmt, identify)) {
            struct command t = g.cmds[0];
            g.cmds[0] = g.cmds[i];
            g.cmds[i] = t;
            have_identify = 1;
        }
    if (!have_identify)
        die("the firmware declares no '%s' command", identify);
    if (g.ncmds > 1)
        qsort(g.cmds + 1, g.ncmds - 1, sizeof(*g.cmds), cmp_cmd);
    int have_resp = 0;
    for (size_t i = 0; i < g.responses.n; i++)
        if (!strcmp(g.responses.v[i], identify_resp)) {
            free(g.responses.v[i]);
            g.responses.v[i] = g.responses.v[--g.responses.n];
            have_resp = 1;
        }
    if (!have_resp)
        die("the firmware sends no '%s' response", identify_resp);
    strlist_sort(&g.responses);
    strlist_sort(&g.outputs);
    strlist_sort(&g.static_strings);

    /* Message ids: 0 identify_response, 1.. commands, then responses,
     * then output formats; all must fit one VLQ byte for the AVR's sake. */
    size_t nresp = 1 + g.responses.n + g.outputs.n;
    if (g.ncmds + nresp > 96)
        die("too many messages for one-byte ids (%zu)", g.ncmds + nresp);
    const char **resp = xrealloc(NULL, nresp * sizeof(*resp));
    int *resp_ids = xrealloc(NULL, nresp * sizeof(*resp_ids));
    resp[0] = identify_resp;
    resp_ids[0] = 0;
    int id = 1 + (int)g.ncmds;
    for (size_t i = 0; i < g.responses.n; i++) {
        resp[1 + i] = g.responses.v[i];
        resp_ids[1 + i] = id++;
    }
    for (size_t i = 0; i < g.outputs.n; i++) {
        resp[1 + g.responses.n + i] = g.outputs.v[i];
        resp_ids[1 + g.responses.n + i] = id++;
    }

    /* The dictionary. */
    json_t *dict = json_object();
    json_t *cmds = json_object(), *resps = json_object(), *outs = json_object();
    for (size_t i = 0; i < g.ncmds; i++)
        json_object_set_new(cmds, g.cmds[i].fmt, json_integer(1 + (int)i));
    for (size_t i = 0; i < 1 + g.responses.n; i++)
        json_object_set_new(resps, resp[i], json_integer(resp_ids[i]));
    for (size_t i = 0; i < g.outputs.n; i++)
        json_object_set_new(outs, resp[1 + g.responses.n + i],
                            json_integer(resp_ids[1 + g.responses.n + i]));
    json_t *ss = json_object();
    for (size_t i = 0; i < g.static_strings.n; i++)
        json_object_set_new(ss, g.static_strings.v[i], json_integer((json_int_t)i));
    json_object_set_new(g.enums, "static_string_id", ss);
    json_object_set_new(g.config, "MCU", json_string(mcu));
    json_object_set_new(dict, "commands", cmds);
    json_object_set_new(dict, "responses", resps);
    json_object_set_new(dict, "output", outs);
    json_object_set_new(dict, "config", g.config);
    json_object_set_new(dict, "enumerations", g.enums);
    json_object_set_new(dict, "version", json_string(version));
    json_object_set_new(dict, "build_versions", json_string(build_versions));
    json_object_set_new(dict, "app", json_string("lockstep"));
    char *text = json_dumps(dict, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        die("cannot serialise the dictionary");
    uLongf zlen = compressBound(strlen(text));
    unsigned char *z = xrealloc(NULL, zlen);
    if (compress2(z, &zlen, (const Bytef *)text, strlen(text), 9) != Z_OK)
        die("zlib compression failed");
    if (zlen > 65535)
        die("compressed dictionary too large (%lu bytes)", (unsigned long)zlen);

    FILE *f = open_out(out, "dict.json");
    char *pretty = json_dumps(dict, JSON_INDENT(1) | JSON_SORT_KEYS);
    fprintf(f, "%s\n", pretty);
    close_out(f, "dict.json");
    free(pretty);

    /* dict_gen.h */
    f = open_out(out, "dict_gen.h");
    fprintf(f, "/* Generated by dictgen from the firmware's declarations. Do not edit. */\n"
               "#ifndef LOCKSTEP_DICT_GEN_H\n#define LOCKSTEP_DICT_GEN_H\n\n"
               "#define DICT_RESPONSE(FMT) ( \\\n");
    for (size_t i = 0; i < nresp; i++) {
        fprintf(f, "    !__builtin_strcmp((FMT), ");
        c_string(f, resp[i]);
        fprintf(f, ") ? &dict_encoders[%zu] : \\\n", i);
    }
    fprintf(f, "    dict_unknown_response())\n\n#define DICT_STATIC_STRING(MSG) ( \\\n");
    for (size_t i = 0; i < g.static_strings.n; i++) {
        fprintf(f, "    !__builtin_strcmp((MSG), ");
        c_string(f, g.static_strings.v[i]);
        fprintf(f, ") ? %zu : \\\n", i);
    }
    fprintf(f, "    dict_unknown_static_string())\n\n#endif\n");
    close_out(f, "dict_gen.h");

    /* dict_gen.c */
    f = open_out(out, "dict_gen.c");
    fprintf(f, "/* Generated by dictgen from the firmware's declarations. Do not edit. */\n"
               "#include \"command.h\"\n\n");
    for (size_t i = 0; i < g.ncmds; i++)
        fprintf(f, "void %s(uint32_t *args);\n", g.cmds[i].func);
    fprintf(f, "\nconst struct command_parser dict_commands[] ARCH_PROGMEM = {\n");
    for (size_t i = 0; i < g.ncmds; i++) {
        int types[MAX_CMD_PARAMS];
        int n = format_types(g.cmds[i].fmt, types, MAX_CMD_PARAMS), nargs = 0;
        fprintf(f, "    /* %s */\n    {%s, %ld, %d, ", g.cmds[i].fmt, g.cmds[i].func,
                g.cmds[i].flags, n);
        for (int k = 0; k < n; k++)
            nargs += types[k] == PT_buffer || types[k] == PT_string ? 2 : 1;
        fprintf(f, "%d, {", nargs);
        for (int k = 0; k < n; k++)
            fprintf(f, "%s%d", k ? ", " : "", types[k]);
        fprintf(f, "}},\n");
    }
    fprintf(f, "};\nconst uint8_t dict_command_first = 1, dict_command_count = %zu;\n\n", g.ncmds);
    fprintf(f, "const struct command_encoder dict_encoders[] ARCH_PROGMEM = {\n");
    for (size_t i = 0; i < nresp; i++) {
        int types[MAX_RESP_PARAMS];
        int n = format_types(resp[i], types, MAX_RESP_PARAMS);
        fprintf(f, "    /* %s */\n    {%d, %d, {", resp[i], resp_ids[i], n);
        for (int k = 0; k < n; k++)
            fprintf(f, "%s%d", k ? ", " : "", types[k]);
        fprintf(f, "}},\n");
    }
    fprintf(
        f, "};\n\nconst uint16_t dict_data_size = %lu;\nconst uint8_t dict_data[] ARCH_PROGMEM = {",
        (unsigned long)zlen);
    for (uLongf i = 0; i < zlen; i++)
        fprintf(f, "%s%d,", i % 16 ? " " : "\n    ", z[i]);
    fprintf(f, "\n};\n\n");
    const struct {
        const char *name;
        struct strlist *l;
    } lists[] = {{"inits", &g.inits}, {"tasks", &g.tasks}, {"shutdowns", &g.shutdowns}};
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < lists[k].l->n; i++)
            fprintf(f, "void %s(void);\n", lists[k].l->v[i]);
        fprintf(f, "void dict_run_%s(void);\nvoid dict_run_%s(void)\n{\n", lists[k].name,
                lists[k].name);
        for (size_t i = 0; i < lists[k].l->n; i++)
            fprintf(f, "    %s();\n", lists[k].l->v[i]);
        fprintf(f, "}\n\n");
    }
    close_out(f, "dict_gen.c");

    free(z);
    free(text);
    free(resp);
    free(resp_ids);
    json_decref(dict);
    return 0;
}
