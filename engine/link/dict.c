#include "errmsg.h"
#include "dict.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

/* A compressed dictionary is a few kilobytes; anything that inflates past
 * this is not one, and stopping early keeps a hostile stream cheap. */
#define DICT_MAX_INFLATED (16u << 20)

static char *xstrdup(const char *s)
{
    char *r = strdup(s ? s : "");
    if (!r)
        abort();
    return r;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

void dict_free(struct link_dict *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nmsgs; i++) {
        free(d->msgs[i].format);
        free(d->msgs[i].name);
        for (size_t j = 0; j < d->msgs[i].nparams; j++)
            free(d->msgs[i].params[j].name);
    }
    free(d->msgs);
    for (size_t i = 0; i < d->nenums; i++) {
        for (size_t j = 0; j < d->enums[i].count; j++)
            free(d->enums[i].entries[j].name);
        free(d->enums[i].entries);
        free(d->enums[i].name);
    }
    free(d->enums);
    for (size_t i = 0; i < d->nconfig; i++) {
        free(d->config[i].name);
        free(d->config[i].text);
    }
    free(d->config);
    free(d->version);
    free(d->build_versions);
    free(d->app);
    free(d);
}

/* Reads one conversion at s (just past '%'); returns its length or 0 if
 * it is not one the protocol knows. */
static size_t parse_conversion(const char *s, enum msg_ptype *type)
{
    static const struct {
        const char *spec;
        enum msg_ptype type;
    } convs[] = {
        {".*s", PT_BUFFER}, {"*s", PT_BUFFER}, {"hu", PT_U16}, {"hi", PT_I16},
        {"c", PT_U8},       {"u", PT_U32},     {"i", PT_I32},  {"s", PT_BUFFER},
    };
    for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
        size_t n = strlen(convs[i].spec);
        if (!strncmp(s, convs[i].spec, n)) {
            *type = convs[i].type;
            return n;
        }
    }
    return 0;
}

static int parse_output_format(struct msg_format *f, char *err, size_t errlen)
{
    for (const char *s = f->format; *s; s++) {
        if (*s != '%')
            continue;
        if (s[1] == '%') {
            s++;
            continue;
        }
        enum msg_ptype type;
        size_t n = parse_conversion(s + 1, &type);
        if (!n) {
            seterr(err, errlen, "dictionary: unsupported conversion '%%%.3s' in output '%s'", s + 1,
                   f->format);
            return -1;
        }
        if (f->nparams >= MSG_MAX_PARAMS) {
            seterr(err, errlen, "dictionary: too many parameters in '%s'", f->format);
            return -1;
        }
        f->params[f->nparams++].type = type;
        s += n;
    }
    f->name = xstrdup(f->format);
    return 0;
}

/* "name a=%c b=%u": a name, then NAME=%TYPE words. */
static int parse_named_format(struct msg_format *f, char *err, size_t errlen)
{
    const char *s = f->format;
    while (*s == ' ')
        s++;
    const char *end = s;
    while (*end && *end != ' ')
        end++;
    if (end == s) {
        seterr(err, errlen, "dictionary: empty message format");
        return -1;
    }
    f->name = strndup(s, (size_t)(end - s));
    if (!f->name)
        abort();
    s = end;
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        end = s;
        while (*end && *end != ' ')
            end++;
        const char *eq = memchr(s, '=', (size_t)(end - s));
        enum msg_ptype type;
        if (!eq || eq == s || eq[1] != '%' || !parse_conversion(eq + 2, &type) ||
            eq + 2 + parse_conversion(eq + 2, &type) != end) {
            seterr(err, errlen, "dictionary: bad parameter '%.*s' in '%s'", (int)(end - s), s,
                   f->format);
            return -1;
        }
        if (f->nparams >= MSG_MAX_PARAMS) {
            seterr(err, errlen, "dictionary: too many parameters in '%s'", f->format);
            return -1;
        }
        struct msg_param *p = &f->params[f->nparams];
        p->name = strndup(s, (size_t)(eq - s));
        if (!p->name)
            abort();
        p->type = type;
        for (size_t i = 0; i < f->nparams; i++) {
            if (!strcmp(f->params[i].name, p->name)) {
                seterr(err, errlen, "dictionary: parameter '%s' repeated in '%s'", p->name,
                       f->format);
                f->nparams++;
                return -1;
            }
        }
        f->nparams++;
        s = end;
    }
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct dict_enum_entry *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int cmp_config(const void *a, const void *b)
{
    const struct dict_config *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int add_entry(struct dict_enum *e, size_t *cap, const char *name, int64_t value, char *err,
                     size_t errlen)
{
    if (value < INT32_MIN || value > INT32_MAX) {
        seterr(err, errlen, "dictionary: enumeration %s value %" PRId64 " out of range", e->name,
               value);
        return -1;
    }
    if (e->count == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        e->entries = realloc(e->entries, *cap * sizeof(*e->entries));
        if (!e->entries)
            abort();
    }
    e->entries[e->count].name = xstrdup(name);
    e->entries[e->count].value = (int32_t)value;
    e->count++;
    return 0;
}

/* A range "PA0": [0, 8] stands for PA0..PA7 = 0..7: the key's trailing
 * number counts up along with the value. */
static int parse_enum(struct dict_enum *e, json_t *obj, char *err, size_t errlen)
{
    const char *key;
    json_t *val;
    size_t cap = 0;
    json_object_foreach(obj, key, val)
    {
        if (json_is_integer(val)) {
            if (add_entry(e, &cap, key, json_integer_value(val), err, errlen))
                return -1;
            continue;
        }
        if (!json_is_array(val) || json_array_size(val) != 2 ||
            !json_is_integer(json_array_get(val, 0)) || !json_is_integer(json_array_get(val, 1))) {
            seterr(err, errlen,
                   "dictionary: enumeration %s: '%s' must be an integer or [first, count]", e->name,
                   key);
            return -1;
        }
        json_int_t first = json_integer_value(json_array_get(val, 0));
        json_int_t count = json_integer_value(json_array_get(val, 1));
        size_t klen = strlen(key), digits = klen;
        while (digits > 0 && isdigit((unsigned char)key[digits - 1]))
            digits--;
        if (digits == klen || count < 0 || count > 65536 || klen - digits > 9) {
            seterr(err, errlen, "dictionary: enumeration %s: bad range '%s'", e->name, key);
            return -1;
        }
        long start = strtol(key + digits, NULL, 10);
        for (json_int_t i = 0; i < count; i++) {
            char name[128];
            snprintf(name, sizeof(name), "%.*s%ld", (int)digits, key, start + (long)i);
            if (add_entry(e, &cap, name, first + i, err, errlen))
                return -1;
        }
    }
    /* an empty enumeration has no array to sort (qsort wants one) */
    if (e->count)
        qsort(e->entries, e->count, sizeof(*e->entries), cmp_entry);
    for (size_t i = 1; i < e->count; i++) {
        if (!strcmp(e->entries[i - 1].name, e->entries[i].name)) {
            seterr(err, errlen, "dictionary: enumeration %s defines '%s' twice", e->name,
                   e->entries[i].name);
            return -1;
        }
    }
    return 0;
}

static int parse_messages(struct link_dict *d, json_t *root, const char *section,
                          enum msg_kind kind, char *err, size_t errlen)
{
    json_t *obj = json_object_get(root, section);
    if (!obj)
        return 0;
    if (!json_is_object(obj)) {
        seterr(err, errlen, "dictionary: '%s' must be an object", section);
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (!json_is_integer(val) || json_integer_value(val) < 0 ||
            json_integer_value(val) > INT32_MAX) {
            seterr(err, errlen, "dictionary: %s '%s' needs a non-negative integer id", section,
                   key);
            return -1;
        }
        struct msg_format *f = &d->msgs[d->nmsgs++];
        f->kind = kind;
        f->id = (int32_t)json_integer_value(val);
        f->format = xstrdup(key);
        int rc = kind == MSG_OUTPUT ? parse_output_format(f, err, errlen)
                                    : parse_named_format(f, err, errlen);
        if (rc)
            return -1;
    }
    return 0;
}

static char *string_member(json_t *root, const char *name)
{
    json_t *v = json_object_get(root, name);
    return xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

/* An enumeration named E covers parameters named E or ending in "_E";
 * the longest such name wins so that e.g. "pin" and "adc_pin" can
 * coexist. */
static void attach_enums(struct link_dict *d)
{
    for (size_t i = 0; i < d->nmsgs; i++) {
        struct msg_format *f = &d->msgs[i];
        for (size_t j = 0; j < f->nparams; j++) {
            struct msg_param *p = &f->params[j];
            if (!p->name || p->type == PT_BUFFER)
                continue;
            size_t plen = strlen(p->name), best = 0;
            for (size_t k = 0; k < d->nenums; k++) {
                const char *en = d->enums[k].name;
                size_t elen = strlen(en);
                int match =
                    !strcmp(p->name, en) || (plen > elen + 1 && p->name[plen - elen - 1] == '_' &&
                                             !strcmp(p->name + plen - elen, en));
                if (match && elen > best) {
                    best = elen;
                    p->enumeration = &d->enums[k];
                }
            }
        }
    }
}

static int check_ids(const struct link_dict *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < d->nmsgs; i++) {
        for (size_t j = i + 1; j < d->nmsgs; j++) {
            const struct msg_format *a = &d->msgs[i], *b = &d->msgs[j];
            int a_in = a->kind != MSG_COMMAND, b_in = b->kind != MSG_COMMAND;
            if (a_in == b_in && a->id == b->id) {
                seterr(err, errlen, "dictionary: id %" PRId32 " used by both '%s' and '%s'", a->id,
                       a->format, b->format);
                return -1;
            }
            if (a->kind == b->kind && a->kind != MSG_OUTPUT && !strcmp(a->name, b->name)) {
                seterr(err, errlen, "dictionary: two messages named '%s'", a->name);
                return -1;
            }
        }
    }
    return 0;
}

static struct link_dict *from_json(json_t *root, char *err, size_t errlen)
{
    if (!json_is_object(root)) {
        seterr(err, errlen, "dictionary: top level is not a JSON object");
        return NULL;
    }
    struct link_dict *d = xcalloc(1, sizeof(*d));
    const char *sections[] = {"commands", "responses", "output"};
    size_t total = 0;
    for (size_t i = 0; i < 3; i++)
        total += json_object_size(json_object_get(root, sections[i]));
    d->msgs = xcalloc(total, sizeof(*d->msgs));
    if (parse_messages(d, root, "commands", MSG_COMMAND, err, errlen) ||
        parse_messages(d, root, "responses", MSG_RESPONSE, err, errlen) ||
        parse_messages(d, root, "output", MSG_OUTPUT, err, errlen) || check_ids(d, err, errlen))
        goto fail;

    json_t *enums = json_object_get(root, "enumerations");
    if (enums && !json_is_object(enums)) {
        seterr(err, errlen, "dictionary: 'enumerations' must be an object");
        goto fail;
    }
    d->enums = xcalloc(json_object_size(enums), sizeof(*d->enums));
    const char *key;
    json_t *val;
    json_object_foreach(enums, key, val)
    {
        struct dict_enum *e = &d->enums[d->nenums++];
        e->name = xstrdup(key);
        if (!json_is_object(val)) {
            seterr(err, errlen, "dictionary: enumeration '%s' must be an object", key);
            goto fail;
        }
        if (parse_enum(e, val, err, errlen))
            goto fail;
    }

    json_t *config = json_object_get(root, "config");
    if (config && !json_is_object(config)) {
        seterr(err, errlen, "dictionary: 'config' must be an object");
        goto fail;
    }
    d->config = xcalloc(json_object_size(config), sizeof(*d->config));
    json_object_foreach(config, key, val)
    {
        struct dict_config *c = &d->config[d->nconfig++];
        c->name = xstrdup(key);
        char buf[64];
        if (json_is_integer(val)) {
            c->is_int = 1;
            c->ival = json_integer_value(val);
            snprintf(buf, sizeof(buf), "%" PRId64, c->ival);
            c->text = xstrdup(buf);
        } else if (json_is_string(val)) {
            c->text = xstrdup(json_string_value(val));
        } else if (json_is_real(val)) {
            snprintf(buf, sizeof(buf), "%.17g", json_real_value(val));
            c->text = xstrdup(buf);
        } else {
            seterr(err, errlen, "dictionary: config '%s' is not a number or string", key);
            goto fail;
        }
    }
    if (d->nconfig)
        qsort(d->config, d->nconfig, sizeof(*d->config), cmp_config);

    d->version = string_member(root, "version");
    d->build_versions = string_member(root, "build_versions");
    d->app = string_member(root, "app");
    attach_enums(d);
    return d;
fail:
    dict_free(d);
    return NULL;
}

struct link_dict *dict_parse_json(const char *text, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        seterr(err, errlen, "dictionary: bad JSON at line %d column %d: %s", jerr.line, jerr.column,
               jerr.text);
        return NULL;
    }
    struct link_dict *d = from_json(root, err, errlen);
    json_decref(root);
    return d;
}

struct link_dict *dict_parse_zlib(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK) {
        seterr(err, errlen, "dictionary: zlib init failed");
        return NULL;
    }
    size_t cap = len * 4 + 1024, used = 0;
    char *out = malloc(cap);
    if (!out)
        abort();
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    int rc;
    do {
        if (used == cap) {
            if (cap >= DICT_MAX_INFLATED) {
                seterr(err, errlen, "dictionary: inflates past %u bytes", DICT_MAX_INFLATED);
                goto fail;
            }
            cap *= 2;
            out = realloc(out, cap);
            if (!out)
                abort();
        }
        zs.next_out = (Bytef *)out + used;
        zs.avail_out = (uInt)(cap - used);
        rc = inflate(&zs, Z_NO_FLUSH);
        used = cap - zs.avail_out;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
            seterr(err, errlen, "dictionary: compressed data is truncated");
            goto fail;
        }
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            seterr(err, errlen, "dictionary: bad zlib data (%s)", zs.msg ? zs.msg : "error");
            goto fail;
        }
    } while (rc != Z_STREAM_END);
    inflateEnd(&zs);
    struct link_dict *d = dict_parse_json(out, used, err, errlen);
    free(out);
    return d;
fail:
    inflateEnd(&zs);
    free(out);
    return NULL;
}

struct link_dict *dict_load_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        abort();
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (!n)
            break;
        len += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        seterr(err, errlen, "%s: read error", path);
        free(buf);
        return NULL;
    }
    size_t i = 0;
    while (i < len && isspace(buf[i]))
        i++;
    struct link_dict *d = NULL;
    if (i < len && buf[i] == '{') {
        d = dict_parse_json((const char *)buf, len, err, errlen);
    } else if (len >= 2 && (buf[0] & 0x0f) == 8 && ((buf[0] << 8) | buf[1]) % 31 == 0) {
        d = dict_parse_zlib(buf, len, err, errlen);
    } else {
        seterr(err, errlen, "%s",
               len ? "not a data dictionary (neither JSON nor zlib data)"
                   : "empty file, not a data dictionary");
    }
    free(buf);
    if (d && !d->nmsgs) {
        seterr(err, errlen, "not a data dictionary (it declares no messages)");
        dict_free(d);
        d = NULL;
    }
    if (!d && err && errlen) {
        char tmp[512];
        snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
        snprintf(err, errlen, "%s", tmp);
    }
    return d;
}

static const struct msg_format *find_named(const struct link_dict *d, const char *name, int cmd)
{
    for (size_t i = 0; i < d->nmsgs; i++) {
        const struct msg_format *f = &d->msgs[i];
        if ((f->kind == MSG_COMMAND) == cmd && f->kind != MSG_OUTPUT && !strcmp(f->name, name))
            return f;
    }
    return NULL;
}

const struct msg_format *dict_command(const struct link_dict *d, const char *name)
{
    return find_named(d, name, 1);
}

const struct msg_format *dict_response(const struct link_dict *d, const char *name)
{
    return find_named(d, name, 0);
}

const struct msg_format *dict_command_by_id(const struct link_dict *d, int32_t id)
{
    for (size_t i = 0; i < d->nmsgs; i++)
        if (d->msgs[i].kind == MSG_COMMAND && d->msgs[i].id == id)
            return &d->msgs[i];
    return NULL;
}

const struct msg_format *dict_incoming(const struct link_dict *d, int32_t id)
{
    for (size_t i = 0; i < d->nmsgs; i++)
        if (d->msgs[i].kind != MSG_COMMAND && d->msgs[i].id == id)
            return &d->msgs[i];
    return NULL;
}

const struct msg_format *dict_by_format(const struct link_dict *d, const char *format)
{
    for (size_t i = 0; i < d->nmsgs; i++)
        if (!strcmp(d->msgs[i].format, format))
            return &d->msgs[i];
    return NULL;
}

const struct dict_enum *dict_enum(const struct link_dict *d, const char *name)
{
    for (size_t i = 0; i < d->nenums; i++)
        if (!strcmp(d->enums[i].name, name))
            return &d->enums[i];
    return NULL;
}

int dict_enum_value(const struct dict_enum *e, const char *name, int32_t *value)
{
    struct dict_enum_entry key = {.name = (char *)name};
    const struct dict_enum_entry *hit =
        e->count ? bsearch(&key, e->entries, e->count, sizeof(*e->entries), cmp_entry) : NULL;
    if (!hit)
        return -1;
    *value = hit->value;
    return 0;
}

const char *dict_enum_name(const struct dict_enum *e, int32_t value)
{
    for (size_t i = 0; i < e->count; i++)
        if (e->entries[i].value == value)
            return e->entries[i].name;
    return NULL;
}

const struct dict_config *dict_config(const struct link_dict *d, const char *name)
{
    struct dict_config key = {.name = (char *)name};
    return d->nconfig ? bsearch(&key, d->config, d->nconfig, sizeof(*d->config), cmp_config) : NULL;
}

int dict_config_int(const struct link_dict *d, const char *name, int64_t *value)
{
    const struct dict_config *c = dict_config(d, name);
    if (!c || !c->is_int)
        return -1;
    *value = c->ival;
    return 0;
}
