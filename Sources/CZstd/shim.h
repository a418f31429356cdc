// libzstd for ArrowIPC's body compression. Macros Swift cannot see are re-exported as functions.
#ifndef CAIRN_CZSTD_SHIM_H
#define CAIRN_CZSTD_SHIM_H

#include <zstd.h>

static inline unsigned long long cairn_zstd_content_size_unknown(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long cairn_zstd_content_size_error(void) { return ZSTD_CONTENTSIZE_ERROR; }

#endif
