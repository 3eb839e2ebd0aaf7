/* lockstep console: talk to an MCU in its own protocol, one text
 * command per line, the way Klipper's console.py does, but also against
 * a simulated MCU where the whole session is deterministic. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "expr.h"
#include "mcu_link.h"
#include "msg.h"
#include "serialqueue.h"
#include "transport.h"

#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull
/* Generous: the serial queue gives up by itself long before this when
 * the MCU stops acknowledging. */
#define ACK_TIMEOUT_NS (120 * NS_PER_SEC)
/* A clock sample older than this is refreshed before {clock} is used,
 * so that drift between host and MCU crystals stays negligible. */
#define CLOCK_MAX_AGE_NS (1 * NS_PER_SEC)
#define MAX_LINE 4096

static const char usage_text[] =
    "usage: lockstep console DEVICE [--baud N] [--settle MS] [--dict FILE] [--echo] [FILE]\n"
    "\n"
    "Connect to an MCU speaking the Klipper wire protocol, fetch its data\n"
    "dictionary (identify), print one header line (MCU, version, clock\n"
    "frequency and the build's constants), then run commands from FILE, or\n"
    "from standard input (with a prompt when it is a terminal).\n"
    "\n"
    "DEVICE\n"
    "  /dev/ttyUSB0, /dev/pts/N   a serial port or pseudo-terminal (--baud, default 250000)\n"
    "  sim:avr                    the project's atmega2560 firmware under simavr\n"
    "  sim:avr=FILE.elf           any atmega2560 ELF under simavr\n"
    "  sim:native                 the firmware built for the host, virtual clock\n"
    "\n"
    "Options\n"
    "  --baud N     serial speed (ignored for sim:)\n"
    "  --settle MS  after each command's ack, keep listening this long for its\n"
    "               responses (default 10; simulated time in sim:)\n"
    "  --dict FILE  use this dictionary (JSON or zlib) instead of identify\n"
    "  --echo       print each command, after {} substitution, as '> LINE'\n"
    "\n"
    "Each line is one of\n"
    "  NAME PARAM=VALUE ...   an MCU command from the dictionary, all parameters\n"
    "                         given, any order: queue_step oid=0 interval=1000 count=100 add=0\n"
    "                         Numbers are decimal or 0x-hex; enumerated parameters\n"
    "                         take names (step_pin=PA5); buffers a \"quoted string\".\n"
    "                         Each response is printed decoded on its own line,\n"
    "                         e.g. 'clock clock=123456'.\n"
    "  # text                 a comment\n"
    "  SET NAME EXPR          define a variable for later {} expressions\n"
    "  DELAY SECONDS          let time pass (really on hardware, simulated in sim:),\n"
    "                         printing whatever the MCU sends meanwhile\n"
    "  FLOOD COUNT SECONDS COMMAND...\n"
    "                         send COMMAND COUNT times, SECONDS apart\n"
    "  STATS                  print the link's counters (blocks, retransmits, naks)\n"
    "\n"
    "{EXPR} anywhere in a line is replaced by its value. EXPR has numbers,\n"
    "variables, + - * / and parentheses; 'freq' is the MCU clock frequency and\n"
    "'clock' the MCU clock now, estimated from the last clock sample. An\n"
    "expression that uses 'clock' is truncated to an integer and wraps at 32\n"
    "bits like the MCU's clock: reset_step_clock oid=0 clock={clock+freq}\n"
    "\n"
    "Errors (unknown command, missing, unknown or repeated parameter, bad or\n"
    "out-of-range number, unknown enumeration name) print 'error: ...' and the\n"
    "session goes on; reading from a file, the exit status is then 1. With a\n"
    "simulated MCU the output depends only on the script and the firmware.\n";

struct var {
    char name[64];
    double value;
};

struct console {
    struct link_mcu *mcu;
    const struct link_dict *dict;
    uint64_t settle_ns;
    int echo;
    int script;
    unsigned lineno;
    int failed;
    struct var *vars;
    size_t nvars;
};

static void line_error(struct console *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void line_error(struct console *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->script)
        printf("error: line %u: ", c->lineno);
    else
        printf("error: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    c->failed = 1;
}

static void on_message(void *ctx, const struct msg_params *p, uint64_t t_ns)
{
    (void)ctx;
    (void)t_ns;
    char buf[1024];
    int n = msg_format_text(p, buf, sizeof(buf));
    printf("%s%s\n", buf, (size_t)n >= sizeof(buf) ? "..." : "");
}

static void on_bad(void *ctx, const char *why)
{
    struct console *c = ctx;
    printf("error: undecodable message from the MCU: %s\n", why);
    c->failed = 1;
}

static int lookup_var(void *ctx, const char *name, double *value)
{
    struct console *c = ctx;
    if (!strcmp(name, "freq")) {
        *value = link_mcu_freq(c->mcu);
        return 0;
    }
    if (!strcmp(name, "clock")) {
        *value = (double)(uint32_t)link_mcu_clock_now(c->mcu);
        return 0;
    }
    for (size_t i = 0; i < c->nvars; i++) {
        if (!strcmp(c->vars[i].name, name)) {
            *value = c->vars[i].value;
            return 0;
        }
    }
    return -1;
}

/* Evaluate, refreshing the clock sample first when the expression needs
 * it; a clock expression yields a 32-bit clock value. */
static int eval(struct console *c, const char *text, double *out, int *is_clock, char *err,
                size_t errlen)
{
    int uses_clock = expr_uses(text, "clock");
    if (is_clock)
        *is_clock = uses_clock;
    if (uses_clock) {
        if (!link_mcu_freq(c->mcu)) {
            snprintf(err, errlen, "the MCU's dictionary gives no CLOCK_FREQ");
            return -1;
        }
        uint64_t now = sq_now(link_mcu_queue(c->mcu));
        uint64_t at = link_mcu_clock_sample_time(c->mcu);
        if ((!at || now - at > CLOCK_MAX_AGE_NS) && link_mcu_sync_clock(c->mcu, err, errlen))
            return -1;
    }
    if (expr_eval(text, lookup_var, c, out, err, errlen))
        return -1;
    if (uses_clock) {
        double w = fmod(floor(*out), 4294967296.0);
        *out = w < 0 ? w + 4294967296.0 : w;
    }
    return 0;
}

static void format_number(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 9.0e18)
        snprintf(buf, len, "%" PRId64, (int64_t)v);
    else
        snprintf(buf, len, "%.15g", v);
}

/* Replace each {EXPR} in line. Returns a malloc'd string or NULL. */
static char *substitute(struct console *c, const char *line, char *err, size_t errlen)
{
    size_t cap = strlen(line) + 64, len = 0;
    char *out = malloc(cap);
    if (!out)
        abort();
    for (const char *s = line; *s;) {
        const char *open = strchr(s, '{');
        size_t plain = open ? (size_t)(open - s) : strlen(s);
        char num[64] = "";
        const char *piece = s;
        size_t piece_len = plain;
        const char *next = s + plain;
        if (open && plain == 0) {
            const char *close = strchr(open, '}');
            if (!close) {
                snprintf(err, errlen, "'{' without '}'");
                free(out);
                return NULL;
            }
            char expr[MAX_LINE];
            size_t n = (size_t)(close - open - 1);
            if (n >= sizeof(expr))
                n = sizeof(expr) - 1;
            memcpy(expr, open + 1, n);
            expr[n] = 0;
            double v;
            char why[200];
            if (eval(c, expr, &v, NULL, why, sizeof(why))) {
                snprintf(err, errlen, "in {%.60s}: %.150s", expr, why);
                free(out);
                return NULL;
            }
            format_number(v, num, sizeof(num));
            piece = num;
            piece_len = strlen(num);
            next = close + 1;
        }
        if (len + piece_len + 1 > cap) {
            cap = (len + piece_len + 1) * 2;
            out = realloc(out, cap);
            if (!out)
                abort();
        }
        memcpy(out + len, piece, piece_len);
        len += piece_len;
        s = next;
    }
    out[len] = 0;
    return out;
}

/* Fatal: the link itself failed. */
static int link_failed(struct console *c)
{
    const char *e = link_mcu_error(c->mcu);
    printf("error: link to the MCU failed: %s\n", e ? e : "unknown error");
    c->failed = 1;
    return -1;
}

static int settle(struct console *c)
{
    char err[256];
    if (link_mcu_wait_acked(c->mcu, ACK_TIMEOUT_NS, err, sizeof(err))) {
        if (link_mcu_error(c->mcu))
            return link_failed(c);
        line_error(c, "%s", err);
        return 0;
    }
    if (link_mcu_run_for(c->mcu, c->settle_ns))
        return link_failed(c);
    return 0;
}

static int send_command(struct console *c, const char *text)
{
    char err[256];
    if (link_mcu_send_text(c->mcu, text, err, sizeof(err))) {
        line_error(c, "%s", err);
        return 0;
    }
    return settle(c);
}

static int parse_seconds(struct console *c, const char *text, const char *what, double *out)
{
    char err[256];
    if (eval(c, text, out, NULL, err, sizeof(err))) {
        line_error(c, "%s: %s", what, err);
        return -1;
    }
    if (*out < 0 || *out > 1e6) {
        line_error(c, "%s: %g seconds is out of range (0..1000000)", what, *out);
        return -1;
    }
    return 0;
}

static const char *next_word(const char *s, char *word, size_t cap)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = 0;
    while (*s && !isspace((unsigned char)*s)) {
        if (n + 1 < cap)
            word[n++] = *s;
        s++;
    }
    word[n] = 0;
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

static int do_set(struct console *c, const char *rest)
{
    char name[64];
    rest = next_word(rest, name, sizeof(name));
    int ok = (isalpha((unsigned char)name[0]) || name[0] == '_');
    for (const char *p = name; *p && ok; p++)
        ok = isalnum((unsigned char)*p) || *p == '_';
    if (!ok || !*rest) {
        line_error(c, "usage: SET NAME EXPR");
        return 0;
    }
    if (!strcmp(name, "clock") || !strcmp(name, "freq")) {
        line_error(c, "SET: '%s' is built in", name);
        return 0;
    }
    double v;
    char err[256];
    if (eval(c, rest, &v, NULL, err, sizeof(err))) {
        line_error(c, "SET %s: %s", name, err);
        return 0;
    }
    for (size_t i = 0; i < c->nvars; i++) {
        if (!strcmp(c->vars[i].name, name)) {
            c->vars[i].value = v;
            return 0;
        }
    }
    c->vars = realloc(c->vars, (c->nvars + 1) * sizeof(*c->vars));
    if (!c->vars)
        abort();
    snprintf(c->vars[c->nvars].name, sizeof(c->vars[c->nvars].name), "%s", name);
    c->vars[c->nvars++].value = v;
    return 0;
}

static int do_delay(struct console *c, const char *rest)
{
    double secs;
    if (!*rest) {
        line_error(c, "usage: DELAY SECONDS");
        return 0;
    }
    if (parse_seconds(c, rest, "DELAY", &secs))
        return 0;
    if (link_mcu_run_for(c->mcu, (uint64_t)llround(secs * 1e9)))
        return link_failed(c);
    return 0;
}

static int do_flood(struct console *c, const char *rest)
{
    char count_s[64], delay_s[64];
    rest = next_word(rest, count_s, sizeof(count_s));
    rest = next_word(rest, delay_s, sizeof(delay_s));
    char *end;
    errno = 0;
    long count = strtol(count_s, &end, 10);
    if (!*rest || !count_s[0] || *end || errno || count < 1 || count > 1000000) {
        line_error(c, "usage: FLOOD COUNT SECONDS COMMAND... (COUNT 1..1000000)");
        return 0;
    }
    double secs;
    if (parse_seconds(c, delay_s, "FLOOD", &secs))
        return 0;
    struct msg_params p;
    char err[256];
    if (msg_parse_text(c->dict, rest, &p, err, sizeof(err))) {
        line_error(c, "%s", err);
        return 0;
    }
    for (long i = 0; i < count; i++) {
        if (link_mcu_send(c->mcu, &p, err, sizeof(err))) {
            line_error(c, "%s", err);
            return 0;
        }
        if (secs > 0 && link_mcu_run_for(c->mcu, (uint64_t)llround(secs * 1e9)))
            return link_failed(c);
    }
    return settle(c);
}

static void do_stats(struct console *c)
{
    const struct sq_stats *s = sq_get_stats(link_mcu_queue(c->mcu));
    printf("link: messages=%" PRIu64 " blocks=%" PRIu64 " bytes=%" PRIu64 " retransmits=%" PRIu64
           " timeouts=%" PRIu64 " naks=%" PRIu64 " received=%" PRIu64 " bad_received=%" PRIu64 "\n",
           s->messages_sent, s->blocks_sent, s->bytes_sent, s->retransmits, s->timeouts, s->naks,
           s->blocks_received, s->bad_blocks);
}

/* Returns -1 only when the session cannot go on. */
static int run_line(struct console *c, const char *raw)
{
    while (isspace((unsigned char)*raw))
        raw++;
    if (!*raw || *raw == '#')
        return 0;
    char err[256];
    char *line = substitute(c, raw, err, sizeof(err));
    if (!line) {
        line_error(c, "%s", err);
        return link_mcu_error(c->mcu) ? -1 : 0;
    }
    if (c->echo)
        printf("> %s\n", line);
    char word[64];
    const char *rest = next_word(line, word, sizeof(word));
    int rc = 0;
    if (!strcmp(word, "SET"))
        rc = do_set(c, rest);
    else if (!strcmp(word, "DELAY"))
        rc = do_delay(c, rest);
    else if (!strcmp(word, "FLOOD"))
        rc = do_flood(c, rest);
    else if (!strcmp(word, "STATS"))
        do_stats(c);
    else
        rc = send_command(c, line);
    free(line);
    return rc;
}

static void print_header(struct console *c, const char *device)
{
    const struct link_dict *d = c->dict;
    const struct dict_config *mcu = dict_config(d, "MCU");
    printf("connected to %s: mcu=%s version=%s freq=%" PRIu32, device, mcu ? mcu->text : "?",
           d->version[0] ? d->version : "?", link_mcu_freq(c->mcu));
    for (size_t i = 0; i < d->nconfig; i++) {
        const char *v = d->config[i].text;
        if (strchr(v, ' ') || !*v)
            printf(" %s=\"%s\"", d->config[i].name, v);
        else
            printf(" %s=%s", d->config[i].name, v);
    }
    printf("\n");
}

int cmd_console(int argc, char **argv)
{
    const char *device = NULL, *file = NULL, *dict_path = NULL;
    unsigned long baud = 250000, settle_ms = 10;
    int echo = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(a, "--baud") || !strcmp(a, "--settle") || !strcmp(a, "--dict")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "lockstep console: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--dict")) {
                dict_path = v;
                continue;
            }
            char *end;
            errno = 0;
            unsigned long n = strtoul(v, &end, 10);
            if (!*v || *end || errno || v[0] == '-' || n > 100000000ul ||
                (!strcmp(a, "--baud") && n == 0)) {
                fprintf(stderr, "lockstep console: bad %s value '%s'\n", a, v);
                return 2;
            }
            if (!strcmp(a, "--baud"))
                baud = n;
            else
                settle_ms = n;
            continue;
        }
        if (!strcmp(a, "--echo")) {
            echo = 1;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "lockstep console: unknown option '%s'\n", a);
            return 2;
        }
        if (!device)
            device = a;
        else if (!file)
            file = a;
        else {
            fprintf(stderr, "lockstep console: too many arguments\n");
            return 2;
        }
    }
    if (!device) {
        fputs(usage_text, stderr);
        return 2;
    }

    FILE *in = stdin;
    if (file && strcmp(file, "-")) {
        in = fopen(file, "r");
        if (!in) {
            fprintf(stderr, "lockstep console: %s: %s\n", file, strerror(errno));
            return 1;
        }
    }
    int interactive = !file && isatty(STDIN_FILENO);
    /* Line buffering whatever stdout is, so a transcript interleaves
     * exactly as it would on a terminal. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    char err[512];
    struct link_transport *t = link_transport_open(device, (uint32_t)baud, err, sizeof(err));
    if (!t) {
        fprintf(stderr, "lockstep console: %s\n", err);
        if (in != stdin)
            fclose(in);
        return 1;
    }
    struct link_mcu_opts opts;
    link_mcu_opts_default(&opts);
    opts.dict_path = dict_path;
    struct link_mcu *mcu = link_mcu_open(t, 1, &opts, err, sizeof(err));
    if (!mcu) {
        fprintf(stderr, "lockstep console: %s: %s\n", device, err);
        if (in != stdin)
            fclose(in);
        return 1;
    }
    struct console c = {
        .mcu = mcu,
        .dict = link_mcu_dict(mcu),
        .settle_ns = settle_ms * NS_PER_MS,
        .echo = echo,
        .script = !interactive,
    };
    link_mcu_set_handler(mcu, on_message, on_bad, &c);
    print_header(&c, device);

    char *line = NULL;
    size_t cap = 0;
    int fatal = 0;
    for (;;) {
        if (interactive) {
            fputs("> ", stderr);
            fflush(stderr);
        }
        ssize_t n = getline(&line, &cap, in);
        if (n < 0)
            break;
        c.lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (n > MAX_LINE) {
            line_error(&c, "line longer than %d characters", MAX_LINE);
            continue;
        }
        if (run_line(&c, line)) {
            fatal = 1;
            break;
        }
    }
    free(line);
    free(c.vars);
    if (in != stdin)
        fclose(in);
    link_mcu_close(mcu);
    if (fatal)
        return 1;
    return c.failed && c.script ? 1 : 0;
}
