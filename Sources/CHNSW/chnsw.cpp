#include "chnsw.h"
extern "C" int cairn_hnsw_version(void) { return 0; }
