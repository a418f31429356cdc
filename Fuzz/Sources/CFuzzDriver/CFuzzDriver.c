// Intentionally empty: the target only carries the LLVMFuzzerRunDriver declaration (libFuzzer defines it).
#include "CFuzzDriver.h"
