// HNSW, brute-force kernels and the index provider (to be written in this module).
