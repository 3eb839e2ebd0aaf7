/* The MCU's data dictionary: which commands it takes, which responses
 * and output messages it sends, with their ids and parameter types, the
 * enumerations (pin names, static strings) and the build's constants.
 *
 * It arrives zlib-compressed through identify, or as a plain JSON file
 * that the firmware build leaves next to the image. */
#ifndef LOCKSTEP_LINK_DICT_H
#define LOCKSTEP_LINK_DICT_H

#include <stddef.h>
#include <stdint.h>

#define MSG_MAX_PARAMS 16

enum msg_ptype {
    PT_U8,    /* %c */
    PT_U16,   /* %hu */
    PT_I16,   /* %hi */
    PT_U32,   /* %u */
    PT_I32,   /* %i */
    PT_BUFFER /* %s, %.*s, %*s: length then bytes */
};

enum msg_kind { MSG_COMMAND, MSG_RESPONSE, MSG_OUTPUT };

struct dict_enum_entry {
    char *name;
    int32_t value;
};

struct dict_enum {
    char *name;
    size_t count;
    struct dict_enum_entry *entries; /* sorted by name; ranges expanded */
};

struct msg_param {
    char *name; /* NULL for output messages, whose params are positional */
    enum msg_ptype type;
    const struct dict_enum *enumeration; /* names for an integer param */
};

struct msg_format {
    enum msg_kind kind;
    int32_t id;
    char *format; /* as in the dictionary */
    char *name;   /* first word; for output messages the whole format */
    size_t nparams;
    struct msg_param params[MSG_MAX_PARAMS];
};

struct dict_config {
    char *name;
    char *text; /* the value as text (integers in decimal) */
    int is_int;
    int64_t ival;
};

struct link_dict {
    struct msg_format *msgs;
    size_t nmsgs;
    struct dict_enum *enums;
    size_t nenums;
    struct dict_config *config; /* sorted by name */
    size_t nconfig;
    char *version, *build_versions, *app; /* "" when absent */
};

/* Each returns NULL with a message in err on failure. */
struct link_dict *dict_parse_json(const char *text, size_t len, char *err, size_t errlen);
struct link_dict *dict_parse_zlib(const uint8_t *data, size_t len, char *err, size_t errlen);
/* A file holding either plain JSON or the zlib stream identify sends. */
struct link_dict *dict_load_file(const char *path, char *err, size_t errlen);
void dict_free(struct link_dict *d);

/* Lookups return NULL when absent. */
const struct msg_format *dict_command(const struct link_dict *d, const char *name);
const struct msg_format *dict_response(const struct link_dict *d, const char *name);
/* What the host may send: the command with this id. */
const struct msg_format *dict_command_by_id(const struct link_dict *d, int32_t id);
/* What the MCU may send: a response or output message with this id. */
const struct msg_format *dict_incoming(const struct link_dict *d, int32_t id);
/* Any message by its exact format string. */
const struct msg_format *dict_by_format(const struct link_dict *d, const char *format);

const struct dict_enum *dict_enum(const struct link_dict *d, const char *name);
/* Returns 0 and the value, or -1 if name is not in the enumeration. */
int dict_enum_value(const struct dict_enum *e, const char *name, int32_t *value);
/* First name (alphabetically) with this value, or NULL. */
const char *dict_enum_name(const struct dict_enum *e, int32_t value);

const struct dict_config *dict_config(const struct link_dict *d, const char *name);
/* Returns 0 and the value if name is an integer constant, else -1. */
int dict_config_int(const struct link_dict *d, const char *name, int64_t *value);

#endif
