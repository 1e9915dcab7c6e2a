/* Internals of hbc_cfg shared by its files: the key table, the value types and the parse context.
 *
 * config_keys.c   value sets and the key table (one row per key, indexed by hbc_cfg_key)
 * config_values.c one converter / formatter / destructor per value type (indexed by cfg_type)
 * config_parse.c  YAML -> groups -> keys -> typed fields; the load/free entry points
 * config_check.c  rules across keys, derived defaults, file checks
 * config_log.c    the parameter dump
 */
#ifndef HBC_CONFIG_PRIV_H
#define HBC_CONFIG_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "hbc/config.h"

/* Value types of the key table. */
typedef enum cfg_type {
    CT_NONE,         /* refused keys: validated as "not given", no storage */
    CT_STRING,       /* char * */
    CT_PATH,         /* char *, resolved against the base folder */
    CT_BOOL,         /* int */
    CT_INT,          /* int64_t in [ilo, ihi] */
    CT_FLOAT,        /* double in [flo, fhi] */
    CT_ENUM,         /* int, one of a value set */
    CT_MARCH,        /* bpu_march_id, by the names of simulator/include/bpu/march.h */
    CT_NAMES,        /* hbc_cfg_names: ';'-separated names */
    CT_ENUMS,        /* hbc_cfg_enums: ';'- or ','-separated tokens of a value set */
    CT_SHAPE,        /* hbc_cfg_shape: "1x3x224x224" */
    CT_FLOATS,       /* hbc_cfg_floats: numbers separated by spaces or commas, or 'None' */
    CT_NODE_INFO,    /* hbc_cfg_node_infos: a mapping, or 'name:type;...' */
    CT_INPUT_SOURCE, /* a mapping input name -> source, stored in each hbc_cfg_input */
    CT_COUNT
} cfg_type;

/* A value set: names[v] is the YAML spelling of value v; a NULL entry (a *_NONE value) cannot be
 * written. */
typedef struct cfg_values {
    const char *const *names;
    int count;
} cfg_values;

typedef struct cfg_key {
    const char *dflt; /* default as YAML text, or NULL */
    int per_input;    /* one ';'-separated value per input */
    int required;     /* must be given whenever its group is */
    hbc_cfg_key_status status;
    const char *note; /* why refused or deprecated */
    cfg_type type;
    hbc_cfg_enum values; /* CT_ENUM, CT_ENUMS */
    uint32_t mask;       /* CT_ENUM: allowed subset of the value set as bits (0: all) */
    int64_t ilo, ihi;    /* CT_INT range */
    double flo, fhi;     /* CT_FLOAT range */
    int in_input;        /* storage is in each hbc_cfg_input (per_input keys, input_source) */
    int derived;         /* when not given, the value is derived from other keys */
    size_t off;          /* offset of the field in hbc_cfg, or in hbc_cfg_input when in_input */
} cfg_key;

extern const cfg_key cfg_keys[HBC_KEY_COUNT];
extern const char *const cfg_key_names[HBC_KEY_COUNT];
extern const hbc_cfg_group cfg_key_groups[HBC_KEY_COUNT];
extern const cfg_values cfg_value_sets[HBC_ENUM_COUNT];

/* Key of group g called name, or HBC_KEY_COUNT. */
hbc_cfg_key cfg_key_find(hbc_cfg_group g, const char *name);

typedef struct cfg_ctx {
    hbc_cfg *cfg;
    const hbc_logger *log;
    yaml_document_t *doc;
    yaml_node_t *group_node[HBC_GRP_COUNT]; /* NULL: group absent */
    yaml_node_t *key_node[HBC_KEY_COUNT];   /* the key as written (for its position) */
    yaml_node_t *value[HBC_KEY_COUNT];      /* NULL: absent or empty */
    char *err;
    size_t errlen;
} cfg_ctx;

/* Format "<file>:<line>:<col>: " (position of at, or just "<file>: " for NULL) and the message
 * into c->err; returns st. */
hbg_status cfg_fail(cfg_ctx *c, hbg_status st, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "group.key" of k, for messages. Static storage per key. */
const char *cfg_key_path(hbc_cfg_key k);

/* Best node to point at for key k: its value, else its key, else its group; may be NULL. */
const yaml_node_t *cfg_where(const cfg_ctx *c, hbc_cfg_key k);

/* Items of s split at any of seps, each trimmed of blanks and copied. skip_empty 0: empty items
 * are kept, except a last empty one after a trailing separator. Free with cfg_free_items. */
hbg_status cfg_split(const char *s, const char *seps, int skip_empty, char ***items, int *n);
void cfg_free_items(char **items, int n);

/* Per value type: convert one scalar text (or, for mapping types, the node) into dst; format a
 * stored value for the dump; release what conv allocated. at may be NULL (a default value). */
typedef hbg_status (*cfg_conv_fn)(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at,
                                  const char *text, void *dst);
typedef void (*cfg_fmt_fn)(const cfg_key *key, const void *src, char *buf, size_t size);
typedef void (*cfg_release_fn)(void *dst);

typedef struct cfg_type_ops {
    const char *what; /* "a boolean", ... for "is not <what>" messages */
    int mapping;      /* 1: the value may be a YAML mapping, handed to conv whole */
    cfg_conv_fn conv;
    cfg_fmt_fn fmt;
    cfg_release_fn release;
} cfg_type_ops;

extern const cfg_type_ops cfg_types[CT_COUNT];

/* Text of the values allowed for key (its value set filtered by the mask, or its range). */
void cfg_allowed(const cfg_key *key, char *buf, size_t size);

/* Path p resolved against base (p itself when absolute or base is empty); NULL on no memory. */
char *cfg_resolve(const char *base, const char *p);

/* Cross-key rules and derived defaults, after every key is converted. */
hbg_status cfg_validate(cfg_ctx *c);

/* "input 'name'" or "input #k" (k from 1) for messages. */
const char *cfg_input_label(const hbc_cfg *cfg, int i, char *buf, size_t size);

#endif /* HBC_CONFIG_PRIV_H */
