// Debian's CRoaring (libroaring-dev). It ships no pkg-config file, so the module map links it by name.
#ifndef CAIRN_CROARING_SHIM_H
#define CAIRN_CROARING_SHIM_H

#include <roaring/roaring.h>

#endif
