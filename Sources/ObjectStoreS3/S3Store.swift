// S3Store: the libcurl-backed ObjectStore (to be written in this module).
