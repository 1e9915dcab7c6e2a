/* CRC32 (IEEE 802.3): reflected polynomial 0xEDB88320, one 256-entry table built on first use. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_bin/bin_format.h"

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t hbbin_crc32(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

const char *hbbin_march_name(uint32_t march)
{
    static const char *const names[HBBIN_MARCH_COUNT] = {
        [HBBIN_MARCH_BERNOULLI2] = "bernoulli2",
        [HBBIN_MARCH_BAYES] = "bayes",
        [HBBIN_MARCH_BAYES_E] = "bayes-e",
    };
    return march < HBBIN_MARCH_COUNT ? names[march] : NULL;
}
