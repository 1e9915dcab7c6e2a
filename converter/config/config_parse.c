/* Loading a makertbin YAML: libyaml document -> groups -> keys (unknown, duplicate and refused keys
 * are errors) -> the number of inputs -> each key converted by its type (cfg_types) or given its
 * default -> the rules across keys (config_check.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

hbg_status cfg_fail(cfg_ctx *c, hbg_status st, const yaml_node_t *at, const char *fmt, ...)
{
    va_list ap;
    int n = 0;
    if (!c->errlen)
        return st;
    if (at)
        n = snprintf(c->err, c->errlen, "%s:%lu:%lu: ", c->cfg->path,
                     (unsigned long)at->start_mark.line + 1,
                     (unsigned long)at->start_mark.column + 1);
    else
        n = snprintf(c->err, c->errlen, "%s: ", c->cfg->path);
    if (n < 0 || (size_t)n >= c->errlen)
        return st;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return st;
}

const yaml_node_t *cfg_where(const cfg_ctx *c, hbc_cfg_key k)
{
    if (c->value[k])
        return c->value[k];
    if (c->key_node[k])
        return c->key_node[k];
    return c->group_node[cfg_key_groups[k]];
}

const char *cfg_input_label(const hbc_cfg *cfg, int i, char *buf, size_t size)
{
    if (cfg->inputs[i].name)
        snprintf(buf, size, "input '%s'", cfg->inputs[i].name);
    else
        snprintf(buf, size, "input #%d", i + 1);
    return buf;
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static const char *node_kind(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "mapping"
           : n->type == YAML_SEQUENCE_NODE ? "list"
                                           : "value";
}

/* Null, '' and "" (and empty lists or mappings) mean "not given", as in the reference templates. */
static int is_empty(const yaml_node_t *n)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL"};
    if (n->type == YAML_SEQUENCE_NODE)
        return n->data.sequence.items.top == n->data.sequence.items.start;
    if (n->type == YAML_MAPPING_NODE)
        return n->data.mapping.pairs.top == n->data.mapping.pairs.start;
    if (n->data.scalar.length == 0)
        return 1;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(scalar(n), nulls[i]) == 0)
            return 1;
    return 0;
}

static hbg_status walk_keys(cfg_ctx *c, hbc_cfg_group g, const yaml_node_t *map)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        if (kn->type != YAML_SCALAR_NODE)
            return cfg_fail(c, HBG_E_INVALID, kn, "%s: a key must be a plain word, not a %s",
                            hbc_cfg_group_name(g), node_kind(kn));
        hbc_cfg_key k = cfg_key_find(g, scalar(kn));
        if (k == HBC_KEY_COUNT) {
            char known[1024];
            size_t len = 0;
            known[0] = '\0';
            for (int j = 0; j < HBC_KEY_COUNT; j++) {
                if (cfg_key_groups[j] != g || len >= sizeof known)
                    continue;
                int n = snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "",
                                 cfg_key_names[j]);
                len = n < 0 ? sizeof known : len + (size_t)n;
            }
            return cfg_fail(c, HBG_E_INVALID, kn,
                            "unknown key '%s' in group '%s'; its keys are: %s", scalar(kn),
                            hbc_cfg_group_name(g), known);
        }
        if (c->key_node[k])
            return cfg_fail(c, HBG_E_INVALID, kn, "%s is given twice (first at line %lu)",
                            cfg_key_path(k), (unsigned long)c->key_node[k]->start_mark.line + 1);
        c->key_node[k] = kn;
        if (is_empty(vn))
            continue;
        if (cfg_keys[k].status == HBC_KEY_REFUSED)
            return cfg_fail(c, HBG_E_UNSUPPORTED, vn, "%s is not supported: %s", cfg_key_path(k),
                            cfg_keys[k].note);
        c->value[k] = vn;
        c->cfg->given[k] = 1;
    }
    return HBG_OK;
}

static hbg_status walk_groups(cfg_ctx *c)
{
    static const char group_list[] = "model_parameters, input_parameters, calibration_parameters, "
                                     "compiler_parameters (required) and custom_op (optional)";
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    hbg_status st;
    if (!root || is_empty(root))
        return cfg_fail(c, HBG_E_INVALID, NULL,
                        "the configuration is empty; expected the groups %s", group_list);
    if (root->type != YAML_MAPPING_NODE)
        return cfg_fail(
            c, HBG_E_INVALID, root,
            "expected a mapping of groups at the top level, got a %s; the groups are %s",
            node_kind(root), group_list);
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        int g = 0;
        if (kn->type == YAML_SCALAR_NODE)
            while (g < HBC_GRP_COUNT && strcmp(scalar(kn), hbc_cfg_group_name(g)) != 0)
                g++;
        if (kn->type != YAML_SCALAR_NODE || g == HBC_GRP_COUNT)
            return cfg_fail(c, HBG_E_INVALID, kn, "unknown group '%s'; the groups are %s",
                            kn->type == YAML_SCALAR_NODE ? scalar(kn) : node_kind(kn), group_list);
        if (c->group_node[g])
            return cfg_fail(c, HBG_E_INVALID, kn, "group '%s' is given twice (first at line %lu)",
                            scalar(kn), (unsigned long)c->group_node[g]->start_mark.line + 1);
        c->group_node[g] = kn;
        if (is_empty(vn))
            continue;
        if (vn->type != YAML_MAPPING_NODE)
            return cfg_fail(c, HBG_E_INVALID, vn, "group '%s' must be a mapping of keys, got a %s",
                            scalar(kn), node_kind(vn));
        if ((st = walk_keys(c, (hbc_cfg_group)g, vn)) != HBG_OK)
            return st;
    }
    for (int g = 0; g < HBC_GRP_COUNT; g++)
        if (g != HBC_GRP_CUSTOM_OP && !c->group_node[g])
            return cfg_fail(c, HBG_E_INVALID, NULL, "missing group '%s'; the groups are %s",
                            hbc_cfg_group_name(g), group_list);
    return HBG_OK;
}

/* The number of inputs is the count of input_name values, else of input_type_train, else of
 * input_type_rt (those two are required; their absence is reported when they are converted). */
static hbg_status count_inputs(cfg_ctx *c)
{
    static const hbc_cfg_key counted[] = {HBC_KEY_INPUT_NAME, HBC_KEY_INPUT_TYPE_TRAIN,
                                          HBC_KEY_INPUT_TYPE_RT};
    hbc_cfg *cfg = c->cfg;
    int n = 1;
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++) {
        const yaml_node_t *v = c->value[counted[i]];
        char **items;
        if (!v || v->type != YAML_SCALAR_NODE)
            continue;
        if (cfg_split(scalar(v), ";", 0, &items, &n) != HBG_OK)
            return cfg_fail(c, HBG_E_NOMEM, v, "out of memory");
        cfg_free_items(items, n);
        if (n > 1 && counted[i] != HBC_KEY_INPUT_NAME)
            return cfg_fail(c, HBG_E_INVALID, v,
                            "%s lists %d inputs: Model has more than one input! Give "
                            "input_parameters.input_name to name them in order",
                            cfg_key_path(counted[i]), n);
        break;
    }
    if (!(cfg->inputs = calloc((size_t)n, sizeof *cfg->inputs)))
        return cfg_fail(c, HBG_E_NOMEM, NULL, "out of memory");
    cfg->n_inputs = n;
    return HBG_OK;
}

static hbg_status convert_per_input(cfg_ctx *c, hbc_cfg_key k, const yaml_node_t *at,
                                    const char *text)
{
    const cfg_key *key = &cfg_keys[k];
    hbc_cfg *cfg = c->cfg;
    char **items = NULL;
    int n = 0;
    hbg_status st;
    if (!at) {
        for (int i = 0; i < cfg->n_inputs; i++)
            if ((st = cfg_types[key->type].conv(c, k, NULL, text,
                                                (char *)&cfg->inputs[i] + key->off)) != HBG_OK)
                return st;
        return HBG_OK;
    }
    if (cfg_split(text, ";", 0, &items, &n) != HBG_OK) {
        st = cfg_fail(c, HBG_E_NOMEM, at, "out of memory");
        goto done;
    }
    if (n != cfg->n_inputs) {
        st = cfg_fail(c, HBG_E_INVALID, at,
                      "%s: Wrong %s num received: '%s' has %d value%s, expected %d (one per input, "
                      "separated by ';', in the order of input_name)",
                      cfg_key_path(k), cfg_key_names[k], text, n, n == 1 ? "" : "s", cfg->n_inputs);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        if (!items[i][0]) {
            st = cfg_fail(c, HBG_E_INVALID, at, "%s: value %d of '%s' is empty%s", cfg_key_path(k),
                          i + 1, text, key->type == CT_FLOATS ? "; write 'None' for no value" : "");
            goto done;
        }
        if ((st = cfg_types[key->type].conv(c, k, at, items[i],
                                            (char *)&cfg->inputs[i] + key->off)) != HBG_OK)
            goto done;
    }
    st = HBG_OK;
done:
    cfg_free_items(items, n);
    return st;
}

static hbg_status convert_key(cfg_ctx *c, hbc_cfg_key k)
{
    const cfg_key *key = &cfg_keys[k];
    const cfg_type_ops *ops = &cfg_types[key->type];
    const yaml_node_t *v = c->value[k];
    const char *text = key->dflt;
    char allowed[256];

    if (key->type == CT_NONE || (!v && !c->group_node[cfg_key_groups[k]]))
        return HBG_OK;
    if (!v && key->required) {
        cfg_allowed(key, allowed, sizeof allowed);
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, k), "%s: missing; the key is required%s%s%s",
                        cfg_key_path(k), allowed[0] ? " (allowed: " : "", allowed,
                        allowed[0] ? ")" : "");
    }
    if (!v && !text)
        return HBG_OK;
    if (v && ops->mapping)
        return ops->conv(c, k, v, NULL, key->in_input ? NULL : (char *)c->cfg + key->off);
    if (v && v->type != YAML_SCALAR_NODE)
        return cfg_fail(c, HBG_E_INVALID, v, "%s: wrong type: expected %s, got a YAML %s%s",
                        cfg_key_path(k), ops->what, node_kind(v),
                        key->per_input || key->type == CT_NAMES
                            ? "; write all values in one string separated by ';'"
                            : "");
    if (v)
        text = scalar(v);
    if (key->per_input)
        return convert_per_input(c, k, v, text);
    hbg_status st = ops->conv(c, k, v, text, (char *)c->cfg + key->off);
    if (st == HBG_OK && v && key->status == HBC_KEY_DEPRECATED)
        HBC_LOGW(c->log, "%s is deprecated and ignored: %s", cfg_key_path(k), key->note);
    return st;
}

static hbg_status syntax_error(cfg_ctx *c, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return cfg_fail(c, HBG_E_NOMEM, NULL, "out of memory while parsing YAML");
    if (p->error == YAML_READER_ERROR)
        return cfg_fail(c, HBG_E_FORMAT, NULL, "YAML syntax error at byte %zu: %s",
                        p->problem_offset, p->problem ? p->problem : "unreadable input");
    char ctx[160] = "";
    if (p->context)
        snprintf(ctx, sizeof ctx, " (%s at line %lu, column %lu)", p->context,
                 (unsigned long)p->context_mark.line + 1,
                 (unsigned long)p->context_mark.column + 1);
    if (c->errlen)
        snprintf(c->err, c->errlen, "%s:%lu:%lu: YAML syntax error: %s%s", c->cfg->path,
                 (unsigned long)p->problem_mark.line + 1, (unsigned long)p->problem_mark.column + 1,
                 p->problem ? p->problem : "malformed YAML", ctx);
    return HBG_E_FORMAT;
}

hbg_status hbc_cfg_load_mem(const char *text, size_t len, const char *label, const char *base_dir,
                            const hbc_logger *log, hbc_cfg **out, char *err, size_t errlen)
{
    hbg_status st = HBG_E_NOMEM;
    yaml_parser_t parser;
    yaml_document_t doc;
    int have_parser = 0, have_doc = 0;
    cfg_ctx c = {.log = log, .doc = &doc, .err = err, .errlen = errlen};
    hbc_cfg *cfg = calloc(1, sizeof *cfg);

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!cfg || !(cfg->path = strdup(label ? label : "<config>")) ||
        !(cfg->base_dir = strdup(base_dir ? base_dir : ""))) {
        if (errlen)
            snprintf(err, errlen, "%s: out of memory", label ? label : "<config>");
        goto done;
    }
    c.cfg = cfg;
    if (!(have_parser = yaml_parser_initialize(&parser))) {
        st = cfg_fail(&c, HBG_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!(have_doc = yaml_parser_load(&parser, &doc))) {
        st = syntax_error(&c, &parser);
        goto done;
    }
    if ((st = walk_groups(&c)) != HBG_OK || (st = count_inputs(&c)) != HBG_OK)
        goto done;
    for (int k = 0; k < HBC_KEY_COUNT; k++)
        if ((st = convert_key(&c, (hbc_cfg_key)k)) != HBG_OK)
            goto done;
    if ((st = cfg_validate(&c)) != HBG_OK)
        goto done;
    *out = cfg;
    cfg = NULL;
done:
    if (have_doc)
        yaml_document_delete(&doc);
    if (have_parser)
        yaml_parser_delete(&parser);
    hbc_cfg_free(cfg);
    return st;
}

hbg_status hbc_cfg_load_file(const char *path, const hbc_logger *log, hbc_cfg **out, char *err,
                             size_t errlen)
{
    hbg_status st = HBG_E_IO;
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");

    *out = NULL;
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        snprintf(err, errlen, "%s: cannot open the config file: %s", path, strerror(errno));
        goto done;
    }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: cannot read the config file", path);
        goto done;
    }
    st = HBG_E_NOMEM;
    if (!(text = malloc((size_t)n + 1)) || !(dir = strdup(path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    st = HBG_E_IO;
    len = fread(text, 1, (size_t)n, f);
    if (len != (size_t)n) {
        snprintf(err, errlen, "%s: cannot read the config file", path);
        goto done;
    }
    text[len] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir] = '\0'; /* "/x.yaml" -> "/" */
    else
        dir[0] = '\0';
    st = hbc_cfg_load_mem(text, len, path, dir, log, out, err, errlen);
done:
    if (f)
        fclose(f);
    free(text);
    free(dir);
    return st;
}

void hbc_cfg_free(hbc_cfg *cfg)
{
    if (!cfg)
        return;
    for (int k = 0; k < HBC_KEY_COUNT; k++) {
        const cfg_key *key = &cfg_keys[k];
        cfg_release_fn release = cfg_types[key->type].release;
        if (!release)
            continue;
        if (!key->in_input)
            release((char *)cfg + key->off);
        else
            for (int i = 0; i < cfg->n_inputs; i++)
                release((char *)&cfg->inputs[i] + key->off);
    }
    for (int i = 0; cfg->inputs && i < cfg->n_inputs; i++)
        free(cfg->inputs[i].source_input);
    free(cfg->inputs);
    free(cfg->path);
    free(cfg->base_dir);
    free(cfg);
}
