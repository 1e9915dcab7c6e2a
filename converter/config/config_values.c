/* One converter, formatter and destructor per value type of the key table (cfg_types[]). A
 * converter turns one scalar text (one item of a ';' list for per-input keys) or, for mapping
 * types, the YAML node into the field at dst; its messages name the key, the value and what is
 * allowed. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

_Static_assert(sizeof(hbc_layout) == sizeof(int) && sizeof(bpu_march_id) == sizeof(int),
               "enum fields are stored through int pointers");

/* ---- helpers ------------------------------------------------------------------------------- */

/* Append printf output to buf (size bytes, *len used); stops quietly when full. */
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    if (*len >= size)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = (size_t)n >= size - *len ? size : *len + (size_t)n;
}

hbg_status cfg_split(const char *s, const char *seps, int skip_empty, char ***items, int *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += strchr(seps, *p) != NULL;
    char **v = calloc(cap, sizeof *v);
    int k = 0;
    *items = NULL;
    *n = 0;
    if (!v)
        return HBG_E_NOMEM;
    for (const char *p = s;;) {
        size_t len = strcspn(p, seps);
        const char *a = p, *b = p + len;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (!(skip_empty && a == b)) {
            if (!(v[k] = strndup(a, (size_t)(b - a)))) {
                cfg_free_items(v, k);
                return HBG_E_NOMEM;
            }
            k++;
        }
        if (!p[len])
            break;
        p += len + 1;
    }
    if (!skip_empty && k > 1 && v[k - 1][0] == '\0')
        free(v[--k]);
    *items = v;
    *n = k;
    return HBG_OK;
}

void cfg_free_items(char **items, int n)
{
    for (int i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

char *cfg_resolve(const char *base, const char *p)
{
    if (p[0] == '/' || !base || !base[0])
        return strdup(p);
    size_t nb = strlen(base), np = strlen(p);
    int slash = base[nb - 1] != '/';
    char *r = malloc(nb + (size_t)slash + np + 1);
    if (r) {
        memcpy(r, base, nb);
        if (slash)
            r[nb] = '/';
        memcpy(r + nb + (size_t)slash, p, np + 1);
    }
    return r;
}

static int in_set(hbc_cfg_enum e, uint32_t mask, int v)
{
    return cfg_value_sets[e].names[v] && (!mask || (mask & (1u << v)));
}

/* "a, b, c": the writable values of set e within mask (0: all). */
static void set_text(hbc_cfg_enum e, uint32_t mask, char *buf, size_t size, size_t *len)
{
    int first = 1;
    for (int v = 0; v < cfg_value_sets[e].count; v++) {
        if (in_set(e, mask, v)) {
            put(buf, size, len, "%s%s", first ? "" : ", ", cfg_value_sets[e].names[v]);
            first = 0;
        }
    }
}

/* Value of set e within mask spelled text; -1 when there is none. */
static int find_in_set(hbc_cfg_enum e, uint32_t mask, const char *text)
{
    for (int v = 0; v < cfg_value_sets[e].count; v++)
        if (in_set(e, mask, v) && strcmp(cfg_value_sets[e].names[v], text) == 0)
            return v;
    return -1;
}

void cfg_allowed(const cfg_key *key, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    switch (key->type) {
    case CT_ENUM:
    case CT_ENUMS:
        set_text(key->values, key->mask, buf, size, &len);
        break;
    case CT_INPUT_SOURCE:
        set_text(HBC_ENUM_INPUT_SOURCE, 0, buf, size, &len);
        break;
    case CT_MARCH:
        for (int m = 0; m < BPU_MARCH_COUNT; m++)
            put(buf, size, &len, "%s%s", m ? ", " : "", bpu_march_get((bpu_march_id)m)->name);
        break;
    case CT_BOOL:
        put(buf, size, &len, "True, False");
        break;
    case CT_INT:
        put(buf, size, &len, "%lld..%lld", (long long)key->ilo, (long long)key->ihi);
        break;
    case CT_FLOAT:
        put(buf, size, &len, "%g..%g", key->flo, key->fhi);
        break;
    default:
        break;
    }
}

static hbg_status not_allowed(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text)
{
    char allowed[256];
    cfg_allowed(&cfg_keys[k], allowed, sizeof allowed);
    return cfg_fail(c, HBG_E_INVALID, at, "%s: value '%s' is not allowed; allowed: %s",
                    cfg_key_path(k), text, allowed);
}

static hbg_status nomem(cfg_ctx *c, const yaml_node_t *at)
{
    return cfg_fail(c, HBG_E_NOMEM, at, "out of memory");
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* ---- scalar types -------------------------------------------------------------------------- */

static hbg_status conv_string(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                              void *dst)
{
    (void)k;
    char **p = dst;
    if (!(*p = strdup(text)))
        return nomem(c, at);
    return HBG_OK;
}

static hbg_status conv_path(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                            void *dst)
{
    (void)k;
    char **p = dst;
    if (!(*p = cfg_resolve(c->cfg->base_dir, text)))
        return nomem(c, at);
    return HBG_OK;
}

static hbg_status conv_bool(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                            void *dst)
{
    static const struct {
        const char *name;
        int v;
    } words[] = {{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"on", 1}, {"off", 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcasecmp(text, words[i].name) == 0) {
            *(int *)dst = words[i].v;
            return HBG_OK;
        }
    }
    return cfg_fail(c, HBG_E_INVALID, at, "%s: value '%s' is not a boolean; allowed: True, False",
                    cfg_key_path(k), text);
}

static hbg_status conv_int(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                           void *dst)
{
    const cfg_key *key = &cfg_keys[k];
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end)
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: value '%s' is not an integer; allowed: %lld..%lld", cfg_key_path(k),
                        text, (long long)key->ilo, (long long)key->ihi);
    if (errno == ERANGE || v < key->ilo || v > key->ihi)
        return cfg_fail(c, HBG_E_INVALID, at, "%s: value '%s' is out of range; allowed: %lld..%lld",
                        cfg_key_path(k), text, (long long)key->ilo, (long long)key->ihi);
    *(int64_t *)dst = v;
    return HBG_OK;
}

static hbg_status conv_float(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                             void *dst)
{
    const cfg_key *key = &cfg_keys[k];
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v))
        return cfg_fail(c, HBG_E_INVALID, at, "%s: value '%s' is not a number; allowed: %g..%g",
                        cfg_key_path(k), text, key->flo, key->fhi);
    if (v < key->flo || v > key->fhi)
        return cfg_fail(c, HBG_E_INVALID, at, "%s: value '%s' is out of range; allowed: %g..%g",
                        cfg_key_path(k), text, key->flo, key->fhi);
    *(double *)dst = v;
    return HBG_OK;
}

static hbg_status conv_enum(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                            void *dst)
{
    int v = find_in_set(cfg_keys[k].values, cfg_keys[k].mask, text);
    if (v < 0)
        return not_allowed(c, k, at, text);
    *(int *)dst = v;
    return HBG_OK;
}

static hbg_status conv_march(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                             void *dst)
{
    bpu_march_id id;
    char allowed[128];
    if (bpu_march_find(text, &id) == 0) {
        *(int *)dst = (int)id;
        return HBG_OK;
    }
    cfg_allowed(&cfg_keys[k], allowed, sizeof allowed);
    return cfg_fail(c, HBG_E_INVALID, at,
                    "%s: User input march invalid: '%s'. It should be one of: %s", cfg_key_path(k),
                    text, allowed);
}

static hbg_status conv_names(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                             void *dst)
{
    (void)k;
    hbc_cfg_names *names = dst;
    if (cfg_split(text, ";", 1, &names->v, &names->n) != HBG_OK)
        return nomem(c, at);
    return HBG_OK;
}

static hbg_status conv_enums(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                             void *dst)
{
    hbc_cfg_enums *e = dst;
    char **items = NULL;
    int n = 0;
    hbg_status st = HBG_E_NOMEM;
    if (cfg_split(text, ";,", 1, &items, &n) != HBG_OK ||
        !(e->v = calloc((size_t)n + 1, sizeof *e->v))) {
        st = nomem(c, at);
        goto done;
    }
    for (e->n = 0; e->n < n; e->n++) {
        int v = find_in_set(cfg_keys[k].values, cfg_keys[k].mask, items[e->n]);
        if (v < 0) {
            st = not_allowed(c, k, at, items[e->n]);
            goto done;
        }
        e->v[e->n] = v;
    }
    st = HBG_OK;
done:
    cfg_free_items(items, n);
    return st;
}

static hbg_status conv_shape(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                             void *dst)
{
    hbc_cfg_shape *s = dst;
    char **items = NULL;
    int n = 0;
    hbg_status st = HBG_E_INVALID;
    if (strchr(text, ',')) {
        st = cfg_fail(c, st, at,
                      "%s: value '%s': commas are not allowed in a shape; write the dimensions "
                      "separated by 'x', e.g. 1x3x224x224",
                      cfg_key_path(k), text);
        goto done;
    }
    if (cfg_split(text, "x", 0, &items, &n) != HBG_OK) {
        st = nomem(c, at);
        goto done;
    }
    if (n > HBG_MAX_RANK) {
        st = cfg_fail(c, st, at, "%s: value '%s' has %d dimensions; at most %d are allowed",
                      cfg_key_path(k), text, n, HBG_MAX_RANK);
        goto done;
    }
    for (int d = 0; d < n; d++) {
        char *end;
        errno = 0;
        long long v = strtoll(items[d], &end, 10);
        if (end == items[d] || *end || errno == ERANGE || v < 1 || v > INT32_MAX) {
            st = cfg_fail(c, st, at,
                          "%s: value '%s': dimension %d ('%s') is not a positive integer; write "
                          "e.g. 1x3x224x224",
                          cfg_key_path(k), text, d, items[d]);
            goto done;
        }
        s->dims[d] = v;
    }
    s->rank = n;
    st = HBG_OK;
done:
    cfg_free_items(items, n);
    return st;
}

static hbg_status conv_floats(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                              void *dst)
{
    hbc_cfg_floats *f = dst;
    char **items = NULL;
    int n = 0;
    hbg_status st = HBG_E_NOMEM;
    if (strcmp(text, "None") == 0)
        return HBG_OK;
    if (cfg_split(text, " \t,", 1, &items, &n) != HBG_OK ||
        !(f->v = calloc((size_t)n + 1, sizeof *f->v))) {
        st = nomem(c, at);
        goto done;
    }
    for (f->n = 0; f->n < n; f->n++) {
        char *end;
        double v = strtod(items[f->n], &end);
        if (end == items[f->n] || *end || !isfinite(v)) {
            st = cfg_fail(c, HBG_E_INVALID, at,
                          "%s: value '%s': '%s' is not a number; write numbers separated by "
                          "spaces (one per channel), or 'None'",
                          cfg_key_path(k), text, items[f->n]);
            goto done;
        }
        f->v[f->n] = v;
    }
    st = HBG_OK;
done:
    cfg_free_items(items, n);
    return st;
}

/* ---- mapping types ------------------------------------------------------------------------- */

/* A node data type of node_info: int8 is what every node has; int16 is refused. */
static hbg_status node_dtype(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *node,
                             const char *what, const char *type)
{
    if (strcmp(type, "int8") == 0)
        return HBG_OK;
    if (strcmp(type, "int16") == 0)
        return cfg_fail(c, HBG_E_UNSUPPORTED, at,
                        "%s: node '%s' %s int16 is not supported: activations are int8 in this "
                        "toolchain's numerics",
                        cfg_key_path(k), node, what);
    return cfg_fail(c, HBG_E_INVALID, at, "%s: node '%s' %s '%s' is not allowed; allowed: int8",
                    cfg_key_path(k), node, what, type);
}

static hbg_status add_node_info(cfg_ctx *c, hbc_cfg_node_infos *ni, const yaml_node_t *at,
                                const char *name, hbc_node_on on)
{
    hbc_cfg_node_info *v = realloc(ni->v, ((size_t)ni->n + 1) * sizeof *v);
    if (!v)
        return nomem(c, at);
    ni->v = v;
    if (!(v[ni->n].name = strdup(name)))
        return nomem(c, at);
    v[ni->n++].on = on;
    return HBG_OK;
}

/* String form: 'name:type;name2:type' sets OutputType of each node. */
static hbg_status node_info_string(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at,
                                   hbc_cfg_node_infos *ni)
{
    char **items = NULL;
    int n = 0;
    hbg_status st = HBG_E_NOMEM;
    if (cfg_split(scalar(at), ";", 1, &items, &n) != HBG_OK) {
        st = nomem(c, at);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        char *colon = strchr(items[i], ':');
        if (!colon || colon == items[i]) {
            st = cfg_fail(c, HBG_E_INVALID, at,
                          "%s: item '%s' is not 'node_name:data_type', nor a mapping "
                          "{node_name: {ON: BPU|CPU, OutputType: ...}}",
                          cfg_key_path(k), items[i]);
            goto done;
        }
        *colon = '\0';
        if ((st = node_dtype(c, k, at, items[i], "OutputType", colon + 1)) != HBG_OK ||
            (st = add_node_info(c, ni, at, items[i], HBC_ON_NONE)) != HBG_OK)
            goto done;
    }
    st = HBG_OK;
done:
    cfg_free_items(items, n);
    return st;
}

/* Mapping form: {node: {ON: BPU|CPU, InputType: t, InputType<k>: t, OutputType: t}}. */
static hbg_status conv_node_info(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at, const char *text,
                                 void *dst)
{
    (void)text;
    hbc_cfg_node_infos *ni = dst;
    yaml_document_t *doc = c->doc;
    if (at->type == YAML_SCALAR_NODE)
        return node_info_string(c, k, at, ni);
    if (at->type != YAML_MAPPING_NODE)
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: expected a mapping {node_name: {ON: BPU|CPU, ...}} or a string "
                        "'node_name:data_type;...'",
                        cfg_key_path(k));
    for (yaml_node_pair_t *p = at->data.mapping.pairs.start; p < at->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        const yaml_node_t *vn = yaml_document_get_node(doc, p->value);
        hbc_node_on on = HBC_ON_NONE;
        if (kn->type != YAML_SCALAR_NODE || vn->type != YAML_MAPPING_NODE)
            return cfg_fail(c, HBG_E_INVALID, kn,
                            "%s: each entry must be 'node_name: {ON: BPU|CPU, OutputType: ...}'",
                            cfg_key_path(k));
        for (yaml_node_pair_t *q = vn->data.mapping.pairs.start; q < vn->data.mapping.pairs.top;
             q++) {
            const yaml_node_t *sk = yaml_document_get_node(doc, q->key);
            const yaml_node_t *sv = yaml_document_get_node(doc, q->value);
            hbg_status st;
            if (sk->type != YAML_SCALAR_NODE || sv->type != YAML_SCALAR_NODE)
                return cfg_fail(c, HBG_E_INVALID, sk, "%s: node '%s': expected 'key: value' pairs",
                                cfg_key_path(k), scalar(kn));
            const char *sub = scalar(sk), *val = scalar(sv);
            if (strcmp(sub, "ON") == 0) {
                if (strcmp(val, "BPU") != 0 && strcmp(val, "CPU") != 0)
                    return cfg_fail(c, HBG_E_INVALID, sv,
                                    "%s: node '%s' ON '%s' is not allowed; allowed: BPU, CPU",
                                    cfg_key_path(k), scalar(kn), val);
                on = val[0] == 'B' ? HBC_ON_BPU : HBC_ON_CPU;
            } else if (strcmp(sub, "OutputType") == 0 || strncmp(sub, "InputType", 9) == 0) {
                if ((st = node_dtype(c, k, sv, scalar(kn), sub, val)) != HBG_OK)
                    return st;
            } else {
                return cfg_fail(c, HBG_E_INVALID, sk,
                                "%s: node '%s': unknown key '%s'; allowed: ON, InputType, "
                                "InputType<k>, OutputType",
                                cfg_key_path(k), scalar(kn), sub);
            }
        }
        hbg_status st = add_node_info(c, ni, kn, scalar(kn), on);
        if (st != HBG_OK)
            return st;
    }
    return HBG_OK;
}

/* {input_name: ddr|pyramid|resizer}: stored in the matching input. Without input_name (one input)
 * the single entry applies to that input; its name is checked against the model when the model is
 * bound to the config. */
static hbg_status conv_input_source(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at,
                                    const char *text, void *dst)
{
    (void)text;
    (void)dst;
    hbc_cfg *cfg = c->cfg;
    char allowed[64];
    cfg_allowed(&cfg_keys[k], allowed, sizeof allowed);
    if (at->type != YAML_MAPPING_NODE)
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: expected a mapping {input_name: source}; allowed sources: %s",
                        cfg_key_path(k), allowed);
    int n = (int)(at->data.mapping.pairs.top - at->data.mapping.pairs.start);
    if (!cfg->inputs[0].name && n > 1)
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: %d entries for a config without input_name (one input)",
                        cfg_key_path(k), n);
    for (yaml_node_pair_t *p = at->data.mapping.pairs.start; p < at->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        int i = 0, v;
        if (kn->type != YAML_SCALAR_NODE || vn->type != YAML_SCALAR_NODE)
            return cfg_fail(c, HBG_E_INVALID, kn, "%s: each entry must be 'input_name: source'",
                            cfg_key_path(k));
        if (cfg->inputs[0].name) {
            for (i = 0; i < cfg->n_inputs; i++)
                if (strcmp(cfg->inputs[i].name, scalar(kn)) == 0)
                    break;
            if (i == cfg->n_inputs)
                return cfg_fail(c, HBG_E_INVALID, kn,
                                "%s: '%s' is not one of the inputs of input_parameters.input_name",
                                cfg_key_path(k), scalar(kn));
        }
        if ((v = find_in_set(HBC_ENUM_INPUT_SOURCE, 0, scalar(vn))) < 0)
            return cfg_fail(c, HBG_E_INVALID, vn,
                            "%s: input '%s': value '%s' is not allowed; allowed: %s",
                            cfg_key_path(k), scalar(kn), scalar(vn), allowed);
        hbc_input_source *src = (hbc_input_source *)((char *)&cfg->inputs[i] + cfg_keys[k].off);
        if (*src != HBC_SRC_NONE)
            return cfg_fail(c, HBG_E_INVALID, kn, "%s: input '%s' is given twice", cfg_key_path(k),
                            scalar(kn));
        *src = (hbc_input_source)v;
        if (!cfg->inputs[0].name && !(cfg->inputs[0].source_input = strdup(scalar(kn))))
            return cfg_fail(c, HBG_E_NOMEM, kn, "%s: out of memory", cfg_key_path(k));
    }
    return HBG_OK;
}

/* ---- formatters (for the parameter dump) --------------------------------------------------- */

static void fmt_string(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    const char *s = *(char *const *)src;
    snprintf(buf, size, "%s", s ? s : "None");
}

static void fmt_bool(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    snprintf(buf, size, "%s", *(const int *)src ? "True" : "False");
}

static void fmt_int(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    snprintf(buf, size, "%lld", (long long)*(const int64_t *)src);
}

static void fmt_float(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    snprintf(buf, size, "%g", *(const double *)src);
}

static void fmt_enum(const cfg_key *key, const void *src, char *buf, size_t size)
{
    snprintf(buf, size, "%s", hbc_cfg_enum_name(key->values, *(const int *)src));
}

static void fmt_march(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    const bpu_march *m = bpu_march_get(*(const bpu_march_id *)src);
    snprintf(buf, size, "%s", m ? m->name : "?");
}

static void fmt_names(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    const hbc_cfg_names *names = src;
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < names->n; i++)
        put(buf, size, &len, "%s%s", i ? ";" : "", names->v[i]);
    if (!names->n)
        put(buf, size, &len, "None");
}

static void fmt_enums(const cfg_key *key, const void *src, char *buf, size_t size)
{
    const hbc_cfg_enums *e = src;
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < e->n; i++)
        put(buf, size, &len, "%s%s", i ? ";" : "", hbc_cfg_enum_name(key->values, e->v[i]));
    if (!e->n)
        put(buf, size, &len, "None");
}

static void fmt_shape(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    const hbc_cfg_shape *s = src;
    size_t len = 0;
    buf[0] = '\0';
    for (int d = 0; d < s->rank; d++)
        put(buf, size, &len, "%s%lld", d ? "x" : "", (long long)s->dims[d]);
    if (!s->rank)
        put(buf, size, &len, "None");
}

static void fmt_floats(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    const hbc_cfg_floats *f = src;
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < f->n; i++)
        put(buf, size, &len, "%s%g", i ? " " : "", f->v[i]);
    if (!f->n)
        put(buf, size, &len, "None");
}

static void fmt_node_info(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    const hbc_cfg_node_infos *ni = src;
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < ni->n; i++)
        put(buf, size, &len, "%s%s: {ON: %s}", i ? "; " : "", ni->v[i].name,
            hbc_cfg_enum_name(HBC_ENUM_NODE_ON, ni->v[i].on));
    if (!ni->n)
        put(buf, size, &len, "None");
}

static void fmt_input_source(const cfg_key *key, const void *src, char *buf, size_t size)
{
    (void)key;
    snprintf(buf, size, "%s", hbc_cfg_enum_name(HBC_ENUM_INPUT_SOURCE, *(const int *)src));
}

/* ---- destructors --------------------------------------------------------------------------- */

static void free_string(void *dst)
{
    free(*(char **)dst);
}

static void free_names(void *dst)
{
    hbc_cfg_names *names = dst;
    cfg_free_items(names->v, names->n);
}

static void free_enums(void *dst)
{
    free(((hbc_cfg_enums *)dst)->v);
}

static void free_floats(void *dst)
{
    free(((hbc_cfg_floats *)dst)->v);
}

static void free_node_info(void *dst)
{
    hbc_cfg_node_infos *ni = dst;
    for (int i = 0; i < ni->n; i++)
        free(ni->v[i].name);
    free(ni->v);
}

const cfg_type_ops cfg_types[CT_COUNT] = {
    [CT_NONE] = {"", 0, NULL, NULL, NULL},
    [CT_STRING] = {"a string", 0, conv_string, fmt_string, free_string},
    [CT_PATH] = {"a path", 0, conv_path, fmt_string, free_string},
    [CT_BOOL] = {"a boolean", 0, conv_bool, fmt_bool, NULL},
    [CT_INT] = {"an integer", 0, conv_int, fmt_int, NULL},
    [CT_FLOAT] = {"a number", 0, conv_float, fmt_float, NULL},
    [CT_ENUM] = {"one word", 0, conv_enum, fmt_enum, NULL},
    [CT_MARCH] = {"a march name", 0, conv_march, fmt_march, NULL},
    [CT_NAMES] = {"a string of names separated by ';'", 0, conv_names, fmt_names, free_names},
    [CT_ENUMS] = {"a string of words separated by ';'", 0, conv_enums, fmt_enums, free_enums},
    [CT_SHAPE] = {"a shape string like 1x3x224x224", 0, conv_shape, fmt_shape, NULL},
    [CT_FLOATS] = {"numbers separated by spaces", 0, conv_floats, fmt_floats, free_floats},
    [CT_NODE_INFO] = {"a mapping", 1, conv_node_info, fmt_node_info, free_node_info},
    [CT_INPUT_SOURCE] = {"a mapping", 1, conv_input_source, fmt_input_source, NULL},
};
_Static_assert(CT_COUNT == 14, "update cfg_types");
