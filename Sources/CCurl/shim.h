// Typed, non-variadic wrappers over libcurl's variadic setopt/getinfo so that Swift can call them.
// Symbols carry the `cairn_curl_` prefix; S3Store is the only Swift owner of a CURL handle.
#ifndef CAIRN_CCURL_SHIM_H
#define CAIRN_CCURL_SHIM_H

#include <curl/curl.h>

static inline CURLcode cairn_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cairn_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cairn_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cairn_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cairn_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*cairn_curl_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

static inline CURLcode cairn_curl_setopt_data_callback(CURL *handle, CURLoption option,
                                                       cairn_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

typedef int (*cairn_curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                            curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode cairn_curl_setopt_xferinfo_callback(CURL *handle, cairn_curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode cairn_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode cairn_curl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode cairn_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode cairn_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline long cairn_curl_global_default_flags(void) { return CURL_GLOBAL_DEFAULT; }

#endif
