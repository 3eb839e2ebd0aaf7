#include "errmsg.h"
#include "msg.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlq.h"

int64_t msg_param_int(const struct msg_params *p, size_t i)
{
    uint32_t v = p->v[i];
    switch (p->fmt->params[i].type) {
    case PT_U8:
        return (uint8_t)v;
    case PT_U16:
        return (uint16_t)v;
    case PT_I16:
        return (int16_t)(uint16_t)v;
    case PT_I32:
        return (int32_t)v;
    default:
        return v;
    }
}

const uint8_t *msg_param_buf(const struct msg_params *p, size_t i, size_t *len)
{
    *len = p->v[i];
    return p->data + p->off[i];
}

int msg_param_index(const struct msg_params *p, const char *name)
{
    for (size_t i = 0; i < p->fmt->nparams; i++)
        if (p->fmt->params[i].name && !strcmp(p->fmt->params[i].name, name))
            return (int)i;
    return -1;
}

int msg_get_int(const struct msg_params *p, const char *name, int64_t *value)
{
    int i = msg_param_index(p, name);
    if (i < 0 || p->fmt->params[i].type == PT_BUFFER)
        return -1;
    *value = msg_param_int(p, (size_t)i);
    return 0;
}

void msg_params_init(struct msg_params *p, const struct msg_format *fmt)
{
    memset(p, 0, sizeof(*p));
    p->fmt = fmt;
}

int msg_params_set_buf(struct msg_params *p, size_t i, const void *data, size_t len)
{
    if (len > sizeof(p->data) - p->datalen)
        return -1;
    p->off[i] = (uint8_t)p->datalen;
    p->v[i] = (uint32_t)len;
    if (len)
        memcpy(p->data + p->datalen, data, len);
    p->datalen += len;
    return 0;
}

int msg_encode(const struct msg_params *p, uint8_t *out, size_t cap)
{
    uint8_t tmp[VLQ_MAX_BYTES];
    size_t n = 0;
    size_t k = vlq_encode(tmp, p->fmt->id);
    if (k > cap)
        return -1;
    memcpy(out, tmp, k);
    n = k;
    for (size_t i = 0; i < p->fmt->nparams; i++) {
        k = vlq_encode(tmp, (int32_t)p->v[i]);
        if (n + k > cap)
            return -1;
        memcpy(out + n, tmp, k);
        n += k;
        if (p->fmt->params[i].type == PT_BUFFER) {
            if (n + p->v[i] > cap)
                return -1;
            memcpy(out + n, p->data + p->off[i], p->v[i]);
            n += p->v[i];
        }
    }
    return (int)n;
}

static const char *type_name(enum msg_ptype t)
{
    static const char *const names[] = {"%c", "%hu", "%hi", "%u", "%i", "%s"};
    return names[t];
}

static void type_range(enum msg_ptype t, int64_t *lo, int64_t *hi)
{
    switch (t) {
    case PT_U8:
        *lo = 0, *hi = UINT8_MAX;
        break;
    case PT_U16:
        *lo = 0, *hi = UINT16_MAX;
        break;
    case PT_I16:
        *lo = INT16_MIN, *hi = INT16_MAX;
        break;
    case PT_I32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        break;
    default:
        *lo = 0, *hi = UINT32_MAX;
        break;
    }
}

/* Decimal or 0x-hex, optional sign, nothing else. Octal is deliberately
 * not recognised: "010" means ten. */
static int parse_number(const char *s, int64_t *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!isxdigit((unsigned char)*p) || (base == 10 && !isdigit((unsigned char)*p)))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, base);
    if (*end || errno || v > (unsigned long long)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* Takes one NAME=VALUE word starting at *sp; a value that starts with a
 * double quote runs to the closing quote and is unescaped. */
static int next_word(const char **sp, char *name, size_t namecap, uint8_t *val, size_t valcap,
                     size_t *vallen, int *quoted, char *err, size_t errlen)
{
    const char *s = *sp;
    const char *start = s;
    while (*s && *s != '=' && !isspace((unsigned char)*s))
        s++;
    if (*s != '=' || s == start) {
        const char *e = s;
        while (*e && !isspace((unsigned char)*e))
            e++;
        seterr(err, errlen, "expected NAME=VALUE, got '%.*s'", (int)(e - start), start);
        return -1;
    }
    if ((size_t)(s - start) >= namecap) {
        seterr(err, errlen, "parameter name '%.*s' too long", (int)(s - start), start);
        return -1;
    }
    memcpy(name, start, (size_t)(s - start));
    name[s - start] = 0;
    s++;
    size_t n = 0;
    *quoted = *s == '"';
    if (!*quoted) {
        while (*s && !isspace((unsigned char)*s)) {
            if (n >= valcap) {
                seterr(err, errlen, "value of '%s' too long", name);
                return -1;
            }
            val[n++] = (uint8_t)*s++;
        }
    } else {
        s++;
        for (;;) {
            int c = (unsigned char)*s++;
            if (!c) {
                seterr(err, errlen, "unterminated string for '%s'", name);
                return -1;
            }
            if (c == '"')
                break;
            if (c == '\\') {
                c = (unsigned char)*s++;
                switch (c) {
                case 'n':
                    c = '\n';
                    break;
                case 't':
                    c = '\t';
                    break;
                case 'r':
                    c = '\r';
                    break;
                case '0':
                    c = 0;
                    break;
                case '\\':
                case '"':
                    break;
                case 'x':
                    if (isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1])) {
                        char hex[3] = {s[0], s[1], 0};
                        c = (int)strtol(hex, NULL, 16);
                        s += 2;
                        break;
                    }
                    /* fall through */
                default:
                    seterr(err, errlen, "bad escape in string for '%s'", name);
                    return -1;
                }
            }
            if (n >= valcap) {
                seterr(err, errlen, "value of '%s' too long", name);
                return -1;
            }
            val[n++] = (uint8_t)c;
        }
        if (*s && !isspace((unsigned char)*s)) {
            seterr(err, errlen, "junk after string for '%s'", name);
            return -1;
        }
    }
    *vallen = n;
    *sp = s;
    return 0;
}

int msg_parse_text(const struct link_dict *d, const char *text, struct msg_params *p, char *err,
                   size_t errlen)
{
    const char *s = text;
    while (isspace((unsigned char)*s))
        s++;
    const char *start = s;
    while (*s && !isspace((unsigned char)*s))
        s++;
    if (s == start) {
        seterr(err, errlen, "empty command");
        return -1;
    }
    char name[128];
    if ((size_t)(s - start) >= sizeof(name)) {
        seterr(err, errlen, "unknown command '%.*s'", (int)(s - start), start);
        return -1;
    }
    memcpy(name, start, (size_t)(s - start));
    name[s - start] = 0;
    const struct msg_format *f = dict_command(d, name);
    if (!f) {
        seterr(err, errlen, "unknown command '%s'", name);
        return -1;
    }
    msg_params_init(p, f);
    unsigned seen = 0;
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        char pname[64];
        uint8_t val[FRAME_MAX + 1];
        size_t vlen;
        int quoted;
        /* room kept for the terminator numbers and names get below */
        if (next_word(&s, pname, sizeof(pname), val, sizeof(val) - 1, &vlen, &quoted, err, errlen))
            return -1;
        size_t i;
        for (i = 0; i < f->nparams; i++)
            if (!strcmp(f->params[i].name, pname))
                break;
        if (i == f->nparams) {
            seterr(err, errlen, "%s has no parameter '%s'", name, pname);
            return -1;
        }
        if (seen & (1u << i)) {
            seterr(err, errlen, "parameter '%s' given twice", pname);
            return -1;
        }
        seen |= 1u << i;
        const struct msg_param *mp = &f->params[i];
        if (mp->type == PT_BUFFER) {
            if (msg_params_set_buf(p, i, val, vlen)) {
                seterr(err, errlen, "value of '%s' too long", pname);
                return -1;
            }
            continue;
        }
        val[vlen] = 0;
        if (memchr(val, 0, vlen) || (quoted && !mp->enumeration)) {
            seterr(err, errlen, "'%s' takes a number, not a string", pname);
            return -1;
        }
        /* Quotes let an enumeration name contain blanks ("Timer too close"). */
        if (mp->enumeration) {
            int32_t ev;
            if (dict_enum_value(mp->enumeration, (char *)val, &ev)) {
                seterr(err, errlen, "unknown %s '%s' for %s", mp->enumeration->name, (char *)val,
                       pname);
                return -1;
            }
            p->v[i] = (uint32_t)ev;
            continue;
        }
        int64_t num, lo, hi;
        if (parse_number((char *)val, &num)) {
            seterr(err, errlen, "bad number '%s' for %s", (char *)val, pname);
            return -1;
        }
        type_range(mp->type, &lo, &hi);
        if (num < lo || num > hi) {
            seterr(err, errlen, "%s=%s out of range for %s (%" PRId64 "..%" PRId64 ")", pname,
                   (char *)val, type_name(mp->type), lo, hi);
            return -1;
        }
        p->v[i] = (uint32_t)num;
    }
    for (size_t i = 0; i < f->nparams; i++) {
        if (!(seen & (1u << i))) {
            seterr(err, errlen, "%s needs parameter '%s'", name, f->params[i].name);
            return -1;
        }
    }
    return 0;
}

int msg_encode_text(const struct link_dict *d, const char *text, uint8_t *out, size_t cap,
                    char *err, size_t errlen)
{
    struct msg_params p;
    if (msg_parse_text(d, text, &p, err, errlen))
        return -1;
    int n = msg_encode(&p, out, cap);
    if (n < 0)
        seterr(err, errlen, "%s: message too long (over %zu bytes encoded)", p.fmt->name, cap);
    return n;
}

int msg_decode_params(const struct msg_format *fmt, const uint8_t *data, size_t len, size_t *pos,
                      struct msg_params *p, char *err, size_t errlen)
{
    msg_params_init(p, fmt);
    for (size_t i = 0; i < fmt->nparams; i++) {
        uint32_t v;
        if (vlq_decode(data, len, pos, &v)) {
            seterr(err, errlen, "%s: truncated parameter %zu", fmt->name, i + 1);
            return -1;
        }
        if (fmt->params[i].type != PT_BUFFER) {
            p->v[i] = v;
            continue;
        }
        if (v > len - *pos || msg_params_set_buf(p, i, data + *pos, v)) {
            seterr(err, errlen, "%s: buffer of %" PRIu32 " bytes runs past the block", fmt->name,
                   v);
            return -1;
        }
        *pos += v;
    }
    return 0;
}

static int decode_as(const struct link_dict *d, int command, const uint8_t *data, size_t len,
                     size_t *pos, struct msg_params *p, char *err, size_t errlen)
{
    uint32_t id;
    if (vlq_decode(data, len, pos, &id)) {
        seterr(err, errlen, "truncated message id");
        return -1;
    }
    const struct msg_format *f =
        command ? dict_command_by_id(d, (int32_t)id) : dict_incoming(d, (int32_t)id);
    if (!f) {
        seterr(err, errlen, "unknown %s id %" PRId32, command ? "command" : "message", (int32_t)id);
        return -1;
    }
    return msg_decode_params(f, data, len, pos, p, err, errlen);
}

int msg_decode(const struct link_dict *d, const uint8_t *data, size_t len, size_t *pos,
               struct msg_params *p, char *err, size_t errlen)
{
    return decode_as(d, 0, data, len, pos, p, err, errlen);
}

int msg_decode_command(const struct link_dict *d, const uint8_t *data, size_t len, size_t *pos,
                       struct msg_params *p, char *err, size_t errlen)
{
    return decode_as(d, 1, data, len, pos, p, err, errlen);
}

/* Appends like snprintf into a bounded buffer while counting everything. */
struct outbuf {
    char *s;
    size_t cap, len;
};

static void put(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct outbuf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->s + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void put_bytes(struct outbuf *o, const uint8_t *b, size_t n, int quote)
{
    if (quote)
        put(o, "\"");
    for (size_t i = 0; i < n; i++) {
        uint8_t c = b[i];
        if (c == '\\' || (quote && c == '"'))
            put(o, "\\%c", c);
        else if (c == '\n')
            put(o, "\\n");
        else if (c == '\t')
            put(o, "\\t");
        else if (c == '\r')
            put(o, "\\r");
        else if (c < 0x20 || c >= 0x7f)
            put(o, "\\x%02x", c);
        else
            put(o, "%c", c);
    }
    if (quote)
        put(o, "\"");
}

static void put_param(struct outbuf *o, const struct msg_params *p, size_t i, int quote)
{
    const struct msg_param *mp = &p->fmt->params[i];
    if (mp->type == PT_BUFFER) {
        size_t n;
        const uint8_t *b = msg_param_buf(p, i, &n);
        put_bytes(o, b, n, quote);
        return;
    }
    int64_t v = msg_param_int(p, i);
    const char *ename = mp->enumeration ? dict_enum_name(mp->enumeration, (int32_t)v) : NULL;
    if (ename)
        put(o, "%s", ename);
    else
        put(o, "%" PRId64, v);
}

int msg_format_text(const struct msg_params *p, char *out, size_t cap)
{
    struct outbuf o = {out, cap, 0};
    if (cap)
        out[0] = 0;
    const struct msg_format *f = p->fmt;
    if (f->kind == MSG_OUTPUT) {
        size_t arg = 0;
        for (const char *s = f->format; *s; s++) {
            if (*s != '%') {
                put(&o, "%c", *s);
                continue;
            }
            if (s[1] == '%') {
                put(&o, "%%");
                s++;
                continue;
            }
            /* The dictionary parser accepted only these conversions. */
            static const char *const specs[] = {".*s", "*s", "hu", "hi", "c", "u", "i", "s"};
            for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
                if (!strncmp(s + 1, specs[k], strlen(specs[k]))) {
                    s += strlen(specs[k]);
                    break;
                }
            }
            if (arg < f->nparams)
                put_param(&o, p, arg++, 0);
        }
        return (int)o.len;
    }
    put(&o, "%s", f->name);
    for (size_t i = 0; i < f->nparams; i++) {
        put(&o, " %s=", f->params[i].name);
        put_param(&o, p, i, 1);
    }
    return (int)o.len;
}
