/* The parameter dump of a parsed config, one "key: value" line per key, grouped like the
 * reference's makertbin log ("############# model_parameters info #############"). Values not
 * written in the YAML are marked "(default)", "(derived)" (from other keys) or "(not given)". */
#include <stdio.h>

#include "config_priv.h"

/* Big enough for long node lists; longer values are cut (the dump is for reading). */
#define VALUE_MAX 4096

static const char *origin(const hbc_cfg *cfg, hbc_cfg_key k)
{
    if (cfg->given[k])
        return "";
    if (cfg_keys[k].dflt)
        return " (default)";
    return cfg_keys[k].derived ? " (derived)" : " (not given)";
}

static void log_key(const hbc_cfg *cfg, hbc_cfg_key k, const hbc_logger *log, hbc_log_level level)
{
    const cfg_key *key = &cfg_keys[k];
    char value[VALUE_MAX];
    if (!key->in_input) {
        cfg_types[key->type].fmt(key, (const char *)cfg + key->off, value, sizeof value);
        HBC_LOG(log, level, "%-26s: %s%s", cfg_key_names[k], value, origin(cfg, k));
        return;
    }
    for (int i = 0; i < cfg->n_inputs; i++) {
        char label[96];
        cfg_types[key->type].fmt(key, (const char *)&cfg->inputs[i] + key->off, value,
                                 sizeof value);
        HBC_LOG(log, level, "%-26s: %s%s [%s]", cfg_key_names[k], value, origin(cfg, k),
                cfg_input_label(cfg, i, label, sizeof label));
    }
}

void hbc_cfg_log(const hbc_cfg *cfg, const hbc_logger *log, hbc_log_level level)
{
    if (!HBC_LOG_ON(log, level))
        return;
    HBC_LOG(log, level, "config file: %s", cfg->path);
    for (int g = 0; g < HBC_GRP_COUNT; g++) {
        if (g == HBC_GRP_CUSTOM_OP && cfg->custom_op_method == HBC_CUSTOM_NONE)
            continue;
        HBC_LOG(log, level, "############# %s info #############", hbc_cfg_group_name(g));
        for (int k = 0; k < HBC_KEY_COUNT; k++) {
            const cfg_key *key = &cfg_keys[k];
            if ((int)cfg_key_groups[k] != g || key->type == CT_NONE ||
                (key->status == HBC_KEY_DEPRECATED && !cfg->given[k]))
                continue;
            log_key(cfg, (hbc_cfg_key)k, log, level);
        }
    }
}
