/* Private to converter/bin: what the packer needs beyond the public builder. */
#ifndef HB_BIN_WRITER_INTERNAL_H
#define HB_BIN_WRITER_INTERNAL_H

#include <stdint.h>

#include "hb_bin/bin_writer.h"

/* Set the header flags (HBBIN_FLAG_*) of the file the builder will write. */
void hbbw_set_flags(hbbw *w, uint32_t flags);

#endif
