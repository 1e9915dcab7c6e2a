/* The op registry: names from ops.def, implementations from the kernel group arrays. */
#include "hbg/kernel.h"
#include "hbg/plugin.h"

#include <pthread.h>
#include <string.h>

static const char *const op_names[HBG_OP_COUNT] = {
    [HBG_OP_UNKNOWN] = "Unknown",
#define X(e, s) [HBG_OP_##e] = s,
#include "hbg/ops.def"
#undef X
};

const char *hbg_op_name(hbg_op op)
{
    if (op == HBG_OP_CUSTOM)
        return "Custom";
    if ((int)op < 0 || op >= HBG_OP_COUNT)
        return "Unknown";
    return op_names[op];
}

hbg_op hbg_op_from_name(const char *op_type)
{
    /* ~100 entries, looked up once per node at load time: a linear scan is enough. */
    for (int i = 1; i < HBG_OP_COUNT; i++)
        if (strcmp(op_names[i], op_type) == 0)
            return (hbg_op)i;
    return hbg_plugin_find(op_type) ? HBG_OP_CUSTOM : HBG_OP_UNKNOWN;
}

static const hbg_op_impl *impl_table[HBG_OP_COUNT];
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

static void impl_init(void)
{
    static const hbg_op_impl *const groups[] = {
        hbg_ops_misc, hbg_ops_unary,    hbg_ops_binary, hbg_ops_conv,  hbg_ops_norm,
        hbg_ops_pool, hbg_ops_movement, hbg_ops_reduce, hbg_ops_quant,
    };
    for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++)
        for (const hbg_op_impl *e = groups[gi]; e->op != HBG_OP_UNKNOWN; e++)
            if (e->op > HBG_OP_UNKNOWN && e->op < HBG_OP_COUNT && e->infer && e->run)
                impl_table[e->op] = e;
}

const hbg_op_impl *hbg_op_impl_get(hbg_op op)
{
    pthread_once(&impl_once, impl_init);
    if (op == HBG_OP_CUSTOM)
        return hbg_plugin_impl();
    if ((int)op <= 0 || op >= HBG_OP_COUNT)
        return NULL;
    return impl_table[op];
}
