// libFuzzer's documented entry point for programs that keep their own main (SwiftPM executables do).
#ifndef CAIRN_CFUZZDRIVER_H
#define CAIRN_CFUZZDRIVER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
