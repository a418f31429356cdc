// extern "C" API over hnswlib (to be written).
#ifndef CAIRN_CHNSW_H
#define CAIRN_CHNSW_H
#ifdef __cplusplus
extern "C" {
#endif
int cairn_hnsw_version(void);
#ifdef __cplusplus
}
#endif
#endif
