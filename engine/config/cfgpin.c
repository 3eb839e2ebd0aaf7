#include "cfg_internal.h"
#include "cfgget.h"
#include "cfgpin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char pin_format[] = "[^|~][!][mcu_name:]pin_name";

static const char *skip_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* Copy [begin, end) trimmed into dst; false if it does not fit. */
static bool copy_trimmed(char *dst, const char *begin, const char *end)
{
    begin = skip_space(begin);
    while (end > begin && isspace((unsigned char)end[-1]))
        end--;
    size_t n = (size_t)(end - begin);
    if (n >= CONFIG_NAME_MAX)
        return false;
    memcpy(dst, begin, n);
    dst[n] = '\0';
    return true;
}

int cfg_parse_pin(const char *text, unsigned allow, struct config_pin *out, char *err,
                  size_t errlen)
{
    struct config_pin pin = {0};
    const char *p = skip_space(text);
    if (*p == '^' || *p == '~') {
        if (!(allow & CFG_PIN_CAN_PULL)) {
            snprintf(err, errlen, "'%c' (pull-%s) is only allowed on input pins, got '%s'", *p,
                     *p == '^' ? "up" : "down", text);
            return -1;
        }
        pin.pullup = *p == '^';
        pin.pulldown = *p == '~';
        p = skip_space(p + 1);
    }
    if (*p == '!') {
        if (!(allow & CFG_PIN_CAN_INVERT)) {
            snprintf(err, errlen, "'!' (inverted) is not allowed on this pin, got '%s'", text);
            return -1;
        }
        pin.invert = true;
        p = skip_space(p + 1);
    }
    const char *colon = strchr(p, ':');
    const char *name = colon ? colon + 1 : p;
    bool fits = true;
    if (colon)
        fits = copy_trimmed(pin.mcu, p, colon);
    else
        strcpy(pin.mcu, "mcu");
    fits = fits && copy_trimmed(pin.name, name, name + strlen(name));
    if (!fits) {
        snprintf(err, errlen, "name longer than %d characters in '%s'", CONFIG_NAME_MAX - 1, text);
        return -1;
    }
    if (!pin.name[0] || !pin.mcu[0] || strpbrk(pin.name, "^~!: \t") || strpbrk(pin.mcu, "^~! \t")) {
        snprintf(err, errlen, "expected a pin (%s), got '%s'", pin_format, text);
        return -1;
    }
    *out = pin;
    return 0;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cfg_set_pin_names(struct cfg_file *cfg, const char *mcu, const char *const *names, size_t count)
{
    if (!mcu || !*mcu)
        return -1;
    struct cfg_pin_list *list = NULL;
    for (size_t i = 0; i < cfg->npin_lists; i++)
        if (strcmp(cfg->pin_lists[i].mcu, mcu) == 0)
            list = &cfg->pin_lists[i];
    if (list) {
        for (size_t j = 0; j < list->count; j++)
            free(list->names[j]);
        free(list->names);
    } else {
        cfg_grow((void **)&cfg->pin_lists, &cfg->cappin_lists, cfg->npin_lists + 1,
                 sizeof(*cfg->pin_lists));
        list = &cfg->pin_lists[cfg->npin_lists++];
        list->mcu = cfg_xstrdup(mcu);
    }
    list->names = cfg_xrealloc(NULL, count, sizeof(*list->names));
    list->count = count;
    for (size_t j = 0; j < count; j++)
        list->names[j] = cfg_xstrdup(names[j]);
    qsort(list->names, count, sizeof(*list->names), compare_entries);
    return 0;
}

static int compare_name(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(char *const *)elem);
}

static const struct cfg_pin_list *pin_list(const struct cfg_file *cfg, const char *mcu)
{
    for (size_t i = 0; i < cfg->npin_lists; i++)
        if (strcmp(cfg->pin_lists[i].mcu, mcu) == 0)
            return &cfg->pin_lists[i];
    return NULL;
}

/* Klipper's pin names are a port letter group and a number in some
 * spelling: PA4, PB10, gpio12, P1.29, ar54, EXP1_3. */
static bool plausible_pin_name(const char *name)
{
    if (!isalpha((unsigned char)name[0]))
        return false;
    bool digit = false;
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_')
            return false;
        digit = digit || isdigit((unsigned char)*p);
    }
    return digit && isdigit((unsigned char)name[strlen(name) - 1]);
}

static bool section_starts(const struct cfg_file *cfg, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < cfg_section_count(cfg); i++) {
        const char *name = cfg_section_name(cfg_section_at(cfg, i));
        if (strncmp(name, prefix, n) == 0 && (name[n] == '\0' || name[n] == ' '))
            return true;
    }
    return false;
}

/* A chip that some other section makes: its pins are not the MCU's. */
static bool virtual_chip(const struct cfg_file *cfg, const char *chip)
{
    if (strcmp(chip, "probe") == 0)
        return section_starts(cfg, "probe") || section_starts(cfg, "bltouch") ||
               section_starts(cfg, "smart_effector") || section_starts(cfg, "probe_eddy_current") ||
               section_starts(cfg, "load_cell_probe");
    /* tmc2209_stepper_x comes from [tmc2209 stepper_x] */
    const char *us = strchr(chip, '_');
    if (strncmp(chip, "tmc", 3) == 0 && us) {
        char section[2 * CONFIG_NAME_MAX];
        snprintf(section, sizeof(section), "%.*s %s", (int)(us - chip), chip, us + 1);
        return cfg_find_section(cfg, section) != NULL;
    }
    return false;
}

static bool check_pin(struct cfg_section *s, const char *option, const char *text,
                      const struct config_pin *pin)
{
    struct cfg_file *cfg = s->cfg;
    char mcu_section[CONFIG_NAME_MAX + 8];
    snprintf(mcu_section, sizeof(mcu_section), "mcu %s", pin->mcu);
    bool real = strcmp(pin->mcu, "mcu") == 0 || cfg_find_section(cfg, mcu_section);
    if (!real && !virtual_chip(cfg, pin->mcu)) {
        cfg_fail_option(s, option, "unknown MCU '%s' in pin '%s' (there is no [mcu %s] section)",
                        pin->mcu, text, pin->mcu);
        return false;
    }
    if (!real)
        return true;
    const struct cfg_pin_list *list = pin_list(cfg, pin->mcu);
    if (list) {
        if (!bsearch(pin->name, list->names, list->count, sizeof(*list->names), compare_name)) {
            cfg_fail_option(s, option, "MCU '%s' has no pin named '%s', got '%s'", pin->mcu,
                            pin->name, text);
            return false;
        }
    } else if (!plausible_pin_name(pin->name)) {
        cfg_fail_option(s, option, "expected a pin name like PA4, got '%s'", text);
        return false;
    }
    return true;
}

static void show_pin(const struct config_pin *pin, char *buf, size_t len)
{
    if (strcmp(pin->mcu, "mcu") == 0)
        snprintf(buf, len, "%s", pin->name);
    else
        snprintf(buf, len, "%s:%s", pin->mcu, pin->name);
}

static bool claim_pin(struct cfg_section *s, const char *option, const char *share,
                      const struct config_pin *pin)
{
    struct cfg_file *cfg = s->cfg;
    for (size_t i = 0; i < cfg->nclaims; i++) {
        const struct cfg_pin_claim *c = &cfg->claims[i];
        if (strcmp(c->pin.mcu, pin->mcu) != 0 || strcmp(c->pin.name, pin->name) != 0)
            continue;
        char shown[2 * CONFIG_NAME_MAX + 2];
        show_pin(pin, shown, sizeof(shown));
        if (!share || !c->share || strcmp(share, c->share) != 0) {
            cfg_fail_option(s, option, "pin %s is already used by %s", shown, c->where);
            return false;
        }
        if (c->pin.invert != pin->invert || c->pin.pullup != pin->pullup ||
            c->pin.pulldown != pin->pulldown) {
            cfg_fail_option(s, option, "shared pin %s must have the same modifiers as in %s", shown,
                            c->where);
            return false;
        }
        return true; /* a second user of a shareable pin */
    }
    const char *path = s->path;
    int line = s->line;
    cfg_option_location(s, option, &path, &line);
    cfg_grow((void **)&cfg->claims, &cfg->capclaims, cfg->nclaims + 1, sizeof(*cfg->claims));
    struct cfg_pin_claim *c = &cfg->claims[cfg->nclaims++];
    c->pin = *pin;
    c->share = share ? cfg_xstrdup(share) : NULL;
    size_t n = (size_t)snprintf(NULL, 0, "[%s] option '%s' (%s:%d)", s->name, option, path, line);
    c->where = cfg_xrealloc(NULL, n + 1, 1);
    snprintf(c->where, n + 1, "[%s] option '%s' (%s:%d)", s->name, option, path, line);
    return true;
}

bool cfg_getpin(struct cfg_section *s, const char *option, unsigned allow, const char *share,
                struct config_pin *out)
{
    const char *text = cfg_getstr(s, option, NULL);
    if (!text)
        return false;
    struct config_pin pin;
    char why[256];
    if (cfg_parse_pin(text, allow, &pin, why, sizeof(why)) != 0) {
        cfg_fail_option(s, option, "%s", why);
        return false;
    }
    if (!check_pin(s, option, text, &pin) || !claim_pin(s, option, share, &pin))
        return false;
    *out = pin;
    return true;
}

bool cfg_getpin_req(struct cfg_section *s, const char *option, unsigned allow, const char *share,
                    struct config_pin *out)
{
    if (!cfg_failed(s->cfg) && !cfg_has_option(s, option)) {
        cfg_getstr_req(s, option); /* reports the missing option */
        return false;
    }
    return cfg_getpin(s, option, allow, share, out);
}
