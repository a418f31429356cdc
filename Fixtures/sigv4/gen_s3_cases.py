#!/usr/bin/env python3
"""Generate s3-cases.json: S3 SigV4 test vectors computed by botocore (S3SigV4Auth / S3SigV4QueryAuth).

    python3 Fixtures/sigv4/gen_s3_cases.py            # (re)writes s3-cases.json next to this file
    python3 Fixtures/sigv4/gen_s3_cases.py --check    # regenerates in memory; exit 1 if s3-cases.json differs

(from the repository root; the paths are relative to this file, so any working directory works)

Output is deterministic: fixed credentials, a fixed clock (botocore's get_current_datetime is patched), no
randomness. Every case is also recomputed by an independent from-the-spec S3 SigV4 implementation (ref_* below),
and both must agree. The five "aws-doc-*" cases must also reproduce the signatures printed in the Amazon S3 API
Reference (sig-v4-header-based-auth / sigv4-query-string-auth examples).

Meaning of each case: see README.md next to this file.
"""
import base64
import contextlib
import datetime
import hashlib
import hmac
import json
import os
import sys
from urllib.parse import quote, unquote, urlsplit

import botocore
import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "s3-cases.json")

AK = "AKIDEXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TS = "20150830T123600Z"
REGION = "us-east-1"
TOKEN = ("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8Y"
         "UuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQ"
         "cHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLx"
         "BA==")
DOC_AK, DOC_SK, DOC_TS = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524T000000Z"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
BOTOCORE_UNSIGNED_HEADERS = {"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"}


# ------------------------------------------------------------------------------------------ URL building
def aws_uri_encode(s, keep_slash=False):
    """AWS UriEncode: every byte except A-Za-z0-9 - _ . ~ (and '/' in S3 object paths) as %XX, uppercase hex."""
    return quote(s.encode("utf-8"), safe="-_.~" + ("/" if keep_slash else ""))


def build_url(scheme, endpoint, bucket, key, style, query):
    """Wire URL. S3 path: each key byte URI-encoded once, '/' kept (what boto3 sends). Query: AWS-encoded,
    in the given (unsorted) order; a value of None means a bare key (`?uploads`)."""
    enc_key = "" if key is None else aws_uri_encode(key, keep_slash=True)
    if style == "virtual":
        netloc, path = f"{bucket}.{endpoint}", "/" + enc_key
    else:
        netloc = endpoint
        path = f"/{bucket}" + (f"/{enc_key}" if key is not None else "")
    url = f"{scheme}://{netloc}{path}"
    if query:
        url += "?" + "&".join(aws_uri_encode(k) if v is None else f"{aws_uri_encode(k)}={aws_uri_encode(v)}"
                              for k, v in query)
    return url


# ------------------------------------------------------------------------------------------ botocore side
@contextlib.contextmanager
def frozen_clock(ts):
    when = datetime.datetime.strptime(ts, "%Y%m%dT%H%M%SZ")
    orig = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: when
    try:
        yield
    finally:
        botocore.auth.get_current_datetime = orig


class _Recorder:
    """Mixin: keeps botocore's own canonical request / string to sign / signature."""

    def canonical_request(self, request):
        self.rec["canonical_request"] = cr = super().canonical_request(request)
        return cr

    def string_to_sign(self, request, canonical_request):
        self.rec["string_to_sign"] = s = super().string_to_sign(request, canonical_request)
        return s

    def signature(self, string_to_sign, request):
        self.rec["signature"] = s = super().signature(string_to_sign, request)
        return s


class HeaderAuth(_Recorder, S3SigV4Auth):
    def __init__(self, *a, payload_override=None, **kw):
        super().__init__(*a, **kw)
        self.rec, self.payload_override = {}, payload_override

    def payload(self, request):  # UNSIGNED-PAYLOAD / STREAMING-... cases
        return self.payload_override if self.payload_override is not None else super().payload(request)


class QueryAuth(_Recorder, S3SigV4QueryAuth):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.rec = {}


def new_request(method, url, headers, body):
    req = AWSRequest(method=method, url=url, data=body)
    for k, v in headers:  # HTTPHeaders.__setitem__ appends, so duplicate names stay duplicates
        req.headers[k] = v
    return req


def sign_header(c):
    creds = Credentials(c["access_key_id"], c["secret_access_key"], c.get("session_token"))
    req = new_request(c["method"], c["url"], c["headers"] + c.get("unsigned_headers", []), c["body"])
    auth = HeaderAuth(creds, "s3", c["region"], payload_override=c.get("payload_override"))
    if c.get("primitives"):
        # botocore's add_auth() swaps a Date header for X-Amz-Date; the AWS doc PUT example signs both, so call
        # the primitives with the caller's headers (x-amz-date and x-amz-content-sha256 included in the input).
        req.context["timestamp"] = c["timestamp"]
        cr = auth.canonical_request(req)
        sig = auth.signature(auth.string_to_sign(req, cr), req)
        sh = auth.signed_headers(auth.headers_to_sign(req))
        req.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={auth.scope(req)}, "
                                        f"SignedHeaders={sh}, Signature={sig}")
    else:
        with frozen_clock(c["timestamp"]):
            auth.add_auth(req)
    out = [(k, v) for k, v in req.headers.items()]
    return auth.rec, out


def sign_query(c):
    creds = Credentials(c["access_key_id"], c["secret_access_key"], c.get("session_token"))
    req = new_request(c["method"], c["url"], c["headers"], b"")
    auth = QueryAuth(creds, "s3", c["region"], expires=c["expires"])
    with frozen_clock(c["timestamp"]):
        auth.add_auth(req)
    return auth.rec, req.url


# ------------------------------------------------------------------------------------------ independent reference
def _hmac(k, m):
    return hmac.new(k, m.encode("utf-8"), hashlib.sha256).digest()


def ref_signing_key(secret, date, region, service="s3"):
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    for m in (region, service, "aws4_request"):
        k = _hmac(k, m)
    return k


def ref_host(url):
    p = urlsplit(url)
    default = {"http": 80, "https": 443}[p.scheme]
    return p.hostname if p.port in (None, default) else f"{p.hostname}:{p.port}"


def ref_canonical_query(pairs):
    """pairs are DECODED (name, value); encode each once, sort by encoded name then value."""
    enc = sorted((aws_uri_encode(k), aws_uri_encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in enc)


def ref_decode_query(raw):
    out = []
    for part in raw.split("&") if raw else []:
        k, _, v = part.partition("=")
        out.append((unquote(k), unquote(v)))
    return out


def ref_canonical_headers(headers):
    merged = {}
    for k, v in headers:
        merged.setdefault(k.lower().strip(), []).append(" ".join(v.split()))
    names = sorted(merged)
    return "".join(f"{n}:{','.join(merged[n])}\n" for n in names), ";".join(names)


def ref_header_case(c, payload_hash):
    p = urlsplit(c["url"])
    hdrs = [(k, v) for k, v in c["headers"]]
    if not c.get("primitives"):
        hdrs += [("host", ref_host(c["url"])), ("x-amz-date", c["timestamp"]), ("x-amz-content-sha256", payload_hash)]
        if c.get("session_token"):
            hdrs.append(("x-amz-security-token", c["session_token"]))
    else:
        hdrs.append(("host", ref_host(c["url"])))
    ch, sh = ref_canonical_headers(hdrs)
    creq = "\n".join([c["method"], p.path or "/", ref_canonical_query(ref_decode_query(p.query)), ch, sh, payload_hash])
    scope = f"{c['timestamp'][:8]}/{c['region']}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", c["timestamp"], scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    sig = hmac.new(ref_signing_key(c["secret_access_key"], c["timestamp"][:8], c["region"]), sts.encode("utf-8"),
                   hashlib.sha256).hexdigest()
    return creq, sts, sig, sh


def ref_query_case(c):
    p = urlsplit(c["url"])
    scope = f"{c['timestamp'][:8]}/{c['region']}/s3/aws4_request"
    hdrs = [(k, v) for k, v in c["headers"]] + [("host", ref_host(c["url"]))]
    ch, sh = ref_canonical_headers(hdrs)
    pairs = ref_decode_query(p.query) + [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", f"{c['access_key_id']}/{scope}"),
        ("X-Amz-Date", c["timestamp"]), ("X-Amz-Expires", str(c["expires"])), ("X-Amz-SignedHeaders", sh)]
    if c.get("session_token"):
        pairs.append(("X-Amz-Security-Token", c["session_token"]))
    creq = "\n".join([c["method"], p.path or "/", ref_canonical_query(pairs), ch, sh, UNSIGNED])
    sts = "\n".join(["AWS4-HMAC-SHA256", c["timestamp"], scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    sig = hmac.new(ref_signing_key(c["secret_access_key"], c["timestamp"][:8], c["region"]), sts.encode("utf-8"),
                   hashlib.sha256).hexdigest()
    return creq, sts, sig


# ------------------------------------------------------------------------------------------ the cases
def H(scheme="http", endpoint="127.0.0.1:9000", bucket="test-bucket", style="path"):
    return dict(scheme=scheme, endpoint=endpoint, bucket=bucket, style=style)


LOCAL = H()
AWS_VH = H("https", "s3.amazonaws.com", "examplebucket", "virtual")
AWS_PATH = H("https", "s3.us-east-1.amazonaws.com", "examplebucket", "path")
UPLOAD_ID = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA--"
BLOCK = bytes(range(256)) * 4
COMPLETE_XML = (b'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                b'<Part><ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag><PartNumber>1</PartNumber></Part>'
                b'<Part><ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag><PartNumber>2</PartNumber></Part>'
                b'</CompleteMultipartUpload>')
DELETE_XML = (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>'
              b'<Object><Key>chroma/seg 1/a.bin</Key></Object><Object><Key>chroma/seg+2/b.bin</Key></Object></Delete>')


def md5b64(b):
    return base64.b64encode(hashlib.md5(b).digest()).decode()


def sha256b64(b):
    return base64.b64encode(hashlib.sha256(b).digest()).decode()


SPECS = [
    # ---- objects, header auth
    dict(name="get-object-path-style-local", desc="GetObject, path-style, http endpoint with a port (host keeps :9000)",
         method="GET", key="chroma/segments/0a1b2c3d-0000-4000-8000-000000000001/block-000001.bin", **LOCAL),
    dict(name="get-object-virtual-host-range", desc="GetObject with Range, virtual-hosted https",
         method="GET", key="data/vectors.bin", headers=[("Range", "bytes=0-1023")], **AWS_VH),
    dict(name="get-object-range-suffix", desc="suffix Range bytes=-512", method="GET", key="data/vectors.bin",
         headers=[("Range", "bytes=-512")], **LOCAL),
    dict(name="head-object", desc="HeadObject", method="HEAD", key="chroma/sysdb/manifest.json", **LOCAL),
    dict(name="head-object-if-none-match-etag", desc="HeadObject with If-None-Match: \"etag\" (quotes are part of the value)",
         method="HEAD", key="chroma/sysdb/manifest.json",
         headers=[("If-None-Match", '"9b2cf535f27731c974343645a3985328"')], **LOCAL),
    dict(name="put-object-small-body", desc="PutObject with Content-Type and Content-Length (both signed)",
         method="PUT", key="chroma/wal/000001.log", body=b"hello world\n",
         headers=[("Content-Type", "application/octet-stream"), ("Content-Length", "12")], **LOCAL),
    dict(name="put-object-empty-body", desc="PutObject of a zero-length object: payload hash is sha256('')",
         method="PUT", key="chroma/locks/empty", body=b"", headers=[("Content-Length", "0")], **LOCAL),
    dict(name="put-object-if-none-match-star", desc="conditional create: If-None-Match: *",
         method="PUT", key="chroma/manifest/v000042.json", body=b'{"version":42}',
         headers=[("Content-Type", "application/json"), ("If-None-Match", "*")], **LOCAL),
    dict(name="put-object-if-match-etag", desc="compare-and-swap: If-Match with the current ETag",
         method="PUT", key="chroma/manifest/current.json", body=b'{"version":43}',
         headers=[("If-Match", '"d41d8cd98f00b204e9800998ecf8427e"')], **LOCAL),
    dict(name="put-object-user-metadata-whitespace",
         desc="x-amz-meta-* with mixed-case names; values with leading/trailing and repeated inner spaces "
              "(canonical form trims and collapses them)",
         method="PUT", key="meta/object.txt", body=b"m",
         headers=[("X-Amz-Meta-Collection-Id", "  coll   42  "), ("x-amz-meta-dimension", "1536"),
                  ("X-AMZ-META-Note", "a  b   c")], **AWS_VH),
    dict(name="put-object-content-md5-and-checksum", desc="Content-MD5 and x-amz-checksum-sha256 headers are signed",
         method="PUT", key="chroma/blocks/b1.bin", body=BLOCK,
         headers=[("Content-MD5", md5b64(BLOCK)), ("x-amz-checksum-sha256", sha256b64(BLOCK)),
                  ("x-amz-sdk-checksum-algorithm", "SHA256")], **LOCAL),
    dict(name="put-object-unsigned-payload", desc="x-amz-content-sha256: UNSIGNED-PAYLOAD (body not hashed)",
         method="PUT", key="chroma/blocks/unsigned.bin", body=b"payload not hashed", payload=UNSIGNED,
         headers=[("Content-Length", "18")], **AWS_VH),
    dict(name="put-object-streaming-seed",
         desc="aws-chunked upload: seed signature over STREAMING-AWS4-HMAC-SHA256-PAYLOAD (chunk signatures not included)",
         method="PUT", key="chroma/blocks/streamed.bin", body=b"", payload=STREAMING,
         headers=[("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "66560"),
                  ("Content-Length", "66824")], **AWS_VH),
    dict(name="put-object-session-token", desc="temporary credentials: X-Amz-Security-Token added and signed",
         method="PUT", key="tmp/with-token.txt", body=b"token", session_token=TOKEN, **AWS_VH),
    dict(name="put-object-storage-class-regional-path-style",
         desc="path-style against the regional endpoint, x-amz-storage-class", method="PUT", key="photos/2015/08/30.jpg",
         body=b"\xff\xd8\xff\xe0jpeg", headers=[("x-amz-storage-class", "STANDARD_IA")], **AWS_PATH),
    dict(name="delete-object", desc="DeleteObject", method="DELETE", key="chroma/wal/000001.log", **LOCAL),
    dict(name="delete-object-version-id", desc="DeleteObject ?versionId= whose value has '/' and '+' (%2F, %2B)",
         method="DELETE", key="doc.txt", query=[("versionId", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")], **AWS_VH),
    # ---- tricky keys
    dict(name="key-with-spaces-and-parens", desc="spaces -> %20, ( ) -> %28 %29 (encoded once, not double-encoded)",
         method="GET", key="my folder/my file (1).txt", **LOCAL),
    dict(name="key-unicode", desc="UTF-8 key: each byte %XX with uppercase hex", method="PUT",
         key="données/日本語/ファイル🙂.txt", body=b"unicode", **LOCAL),
    dict(name="key-plus-equals-ampersand", desc="'+' -> %2B (never a space), '=' -> %3D, '&' -> %26",
         method="GET", key="a+b=c&d.bin", **AWS_VH),
    dict(name="key-tilde-and-reserved", desc="'~' stays; ! $ ' * , ; : @ [ ] # ? are all encoded",
         method="GET", key="~user/!$'*,;:@[]#?.txt", **LOCAL),
    dict(name="key-percent", desc="a literal '%' in the key -> %25 (and '%20' in a key is three characters)",
         method="GET", key="100%/done%20.txt", **LOCAL),
    dict(name="key-no-path-normalization", desc="S3 does NOT normalize: '//' '.' '..' segments are signed as-is",
         method="GET", key="a//b/./c/../d", **LOCAL),
    dict(name="key-leading-slash", desc="key starting with '/': path-style URL has '//' after the bucket",
         method="GET", key="/abs/key.txt", **LOCAL),
    dict(name="key-trailing-slash-folder-marker", desc="zero-byte 'folder/' marker object", method="PUT",
         key="chroma/segments/", body=b"", **LOCAL),
    # ---- bucket-level / listing
    dict(name="list-objects-v2-prefix-delimiter",
         desc="ListObjectsV2, params given unsorted on the wire; prefix '/' -> %2F in the canonical query",
         method="GET", key=None, query=[("list-type", "2"), ("prefix", "chroma/segments/"), ("delimiter", "/"),
                                        ("max-keys", "1000"), ("encoding-type", "url")], **LOCAL),
    dict(name="list-objects-v2-continuation-token",
         desc="continuation-token with '/', '+', '='; start-after with space and UTF-8; fetch-owner",
         method="GET", key=None,
         query=[("list-type", "2"), ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
                ("start-after", "photos/2024 01/ü.jpg"), ("fetch-owner", "true")], **AWS_VH),
    dict(name="list-objects-v2-prefix-special", desc="prefix with space, '+', '=', '~', UTF-8",
         method="GET", key=None, query=[("list-type", "2"), ("prefix", "my folder/ü+x=y~z")], **AWS_PATH),
    dict(name="get-bucket-acl-bare-subresource", desc="bare sub-resource ?acl -> canonical 'acl='",
         method="GET", key=None, query=[("acl", None)], **AWS_VH),
    dict(name="query-sort-byte-order",
         desc="canonical query sorted by encoded name in byte order: uppercase before lowercase; "
              "response-content-disposition value with space, quote and semicolon",
         method="GET", key="report.csv",
         query=[("response-content-type", "text/csv"),
                ("response-content-disposition", 'attachment; filename="r 1.csv"'), ("X-Custom", "1"),
                ("Versionid", "b")], **LOCAL),
    # ---- multipart
    dict(name="create-multipart-upload", desc="POST ?uploads (bare key, canonical 'uploads=')", method="POST",
         key="chroma/blocks/big.bin", query=[("uploads", None)], headers=[("Content-Type", "application/octet-stream")],
         **LOCAL),
    dict(name="upload-part", desc="PUT ?partNumber=2&uploadId=... with a binary body", method="PUT",
         key="chroma/blocks/big.bin", query=[("uploadId", UPLOAD_ID), ("partNumber", "2")], body=BLOCK,
         headers=[("Content-Length", str(len(BLOCK)))], **LOCAL),
    dict(name="complete-multipart-upload", desc="POST ?uploadId=... with the XML part list", method="POST",
         key="chroma/blocks/big.bin", query=[("uploadId", UPLOAD_ID)], body=COMPLETE_XML,
         headers=[("Content-Type", "application/xml")], **LOCAL),
    dict(name="complete-multipart-upload-if-none-match", desc="conditional complete: If-None-Match: *",
         method="POST", key="chroma/blocks/big.bin", query=[("uploadId", UPLOAD_ID)], body=COMPLETE_XML,
         headers=[("If-None-Match", "*")], **AWS_VH),
    dict(name="abort-multipart-upload", desc="DELETE ?uploadId=...", method="DELETE", key="chroma/blocks/big.bin",
         query=[("uploadId", UPLOAD_ID)], **LOCAL),
    dict(name="delete-objects-batch", desc="POST ?delete with XML body and Content-MD5", method="POST", key=None,
         query=[("delete", None)], body=DELETE_XML, headers=[("Content-MD5", md5b64(DELETE_XML)),
                                                             ("Content-Type", "application/xml")], **LOCAL),
    # ---- header canonicalization edge cases
    dict(name="duplicate-header-and-unsigned-headers",
         desc="two x-amz-meta-tag headers (values comma-joined in order); User-Agent and Expect are present "
              "but botocore never signs them (listed in unsigned_headers)",
         method="PUT", key="dup.txt", body=b"d", headers=[("x-amz-meta-tag", "b"), ("x-amz-meta-tag", "a")],
         unsigned_headers=[("User-Agent", "libcurl/8.5.0"), ("Expect", "100-continue")], **LOCAL),
    dict(name="host-default-port-dropped", desc="http://localhost:80 -> Host is 'localhost' (default port omitted)",
         method="GET", key="x.txt", **H("http", "localhost:80", "test-bucket", "path")),
    dict(name="region-eu-central-1", desc="another region in the credential scope / signing key",
         method="GET", key="eu/object.txt", region="eu-central-1",
         **H("https", "s3.eu-central-1.amazonaws.com", "eubucket", "path")),
    # ---- presigned (query auth)
    dict(name="presign-get-3600", desc="presigned GetObject, X-Amz-Expires=3600", auth="query", method="GET",
         key="chroma/exports/export.tar", expires=3600, **AWS_VH),
    dict(name="presign-get-local-unicode-spaces", desc="presigned GET, key with spaces and UTF-8, local endpoint",
         auth="query", method="GET", key="my folder/ü 1.txt", expires=3600, **LOCAL),
    dict(name="presign-put-3600", desc="presigned PutObject (the uploader sends the body, payload UNSIGNED-PAYLOAD)",
         auth="query", method="PUT", key="uploads/new+file.bin", expires=3600, **AWS_VH),
    dict(name="presign-get-response-params",
         desc="presigned GET with response-content-disposition: operation params come before X-Amz-* on the wire, "
              "all sorted in the canonical query", auth="query", method="GET", key="report.csv", expires=3600,
         query=[("response-content-disposition", 'attachment; filename="r 1.csv"')], **AWS_VH),
    dict(name="presign-get-session-token", desc="presigned GET with X-Amz-Security-Token (signed)", auth="query",
         method="GET", key="tmp/with-token.txt", expires=3600, session_token=TOKEN, **AWS_VH),
    # ---- Amazon S3 API Reference examples (their own credentials and clock; signatures asserted below)
    dict(name="aws-doc-get-object", desc="S3 API Reference, sig-v4-header-based-auth: GET Object (Range)",
         method="GET", key="test.txt", headers=[("Range", "bytes=0-9")], doc="f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
         **AWS_VH),
    dict(name="aws-doc-put-object",
         desc="S3 API Reference: PUT Object; signs Date AND x-amz-date (computed with botocore's signing "
              "primitives because add_auth() would drop x-amz-date when Date is present)",
         method="PUT", key="test$file.text", body=b"Welcome to Amazon S3.", primitives=True,
         headers=[("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-date", DOC_TS),
                  ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                  ("x-amz-content-sha256", hashlib.sha256(b"Welcome to Amazon S3.").hexdigest())],
         doc="98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd", **AWS_VH),
    dict(name="aws-doc-get-bucket-lifecycle", desc="S3 API Reference: GET ?lifecycle", method="GET", key=None,
         query=[("lifecycle", None)], doc="fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543", **AWS_VH),
    dict(name="aws-doc-list-objects", desc="S3 API Reference: GET ?max-keys=2&prefix=J", method="GET", key=None,
         query=[("max-keys", "2"), ("prefix", "J")],
         doc="34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7", **AWS_VH),
    dict(name="aws-doc-presigned-get", desc="S3 API Reference, sigv4-query-string-auth: presigned GET, 86400 s",
         auth="query", method="GET", key="test.txt", expires=86400,
         doc="aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404", **AWS_VH),
]


def b64(b):
    return base64.b64encode(b).decode()


def make_case(spec):
    s = dict(spec)
    doc = s.get("doc")
    is_doc = s["name"].startswith("aws-doc-")
    url = build_url(s["scheme"], s["endpoint"], s["bucket"], s.get("key"), s["style"], s.get("query"))
    c = dict(
        name=s["name"], description=s["desc"], auth=s.get("auth", "header"), method=s["method"], url=url,
        bucket=s["bucket"], key=s.get("key"), addressing_style=s["style"],
        query=[[k, v] for k, v in s.get("query", [])],
        headers=[[k, v] for k, v in s.get("headers", [])],
        access_key_id=DOC_AK if is_doc else AK, secret_access_key=DOC_SK if is_doc else SK,
        session_token=s.get("session_token"), region=s.get("region", REGION), service="s3",
        timestamp=DOC_TS if is_doc else TS,
    )
    body = s.get("body", b"")
    internal = dict(c, headers=[tuple(h) for h in c["headers"]], body=body,
                    unsigned_headers=[tuple(h) for h in s.get("unsigned_headers", [])],
                    payload_override=s.get("payload"), primitives=s.get("primitives", False),
                    expires=s.get("expires"))
    if c["auth"] == "header":
        if s.get("unsigned_headers"):
            c["unsigned_headers"] = [[k, v] for k, v in s["unsigned_headers"]]
        c["body_base64"], c["body_hex"] = b64(body), body.hex()
        payload_hash = s.get("payload") or hashlib.sha256(body).hexdigest()
        c["payload_hash"] = payload_hash
        c["signer_adds_headers"] = (["host"] if internal["primitives"] else
                                    ["host", "x-amz-date", "x-amz-content-sha256"]
                                    + (["x-amz-security-token"] if c["session_token"] else []))
        rec, out_headers = sign_header(internal)
        authz = dict(out_headers)["Authorization"]
        sh = authz.split("SignedHeaders=")[1].split(",")[0]
        c["expected"] = dict(
            host=ref_host(url), canonical_request=rec["canonical_request"], string_to_sign=rec["string_to_sign"],
            signature=rec["signature"], signed_headers=sh, authorization=authz,
            headers_after_signing=[["Host", ref_host(url)]] + [[k, v] for k, v in out_headers])
        r_creq, r_sts, r_sig, r_sh = ref_header_case(internal, payload_hash)
    else:
        c["expires"] = s["expires"]
        c["payload_hash"] = UNSIGNED
        c["signer_adds_headers"] = ["host"]
        c["signer_adds_query"] = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                                  "X-Amz-SignedHeaders"] + (["X-Amz-Security-Token"] if c["session_token"] else []) \
            + ["X-Amz-Signature (appended last, not in the canonical query)"]
        rec, presigned = sign_query(internal)
        c["expected"] = dict(
            host=ref_host(url), canonical_request=rec["canonical_request"], string_to_sign=rec["string_to_sign"],
            signature=rec["signature"], presigned_url=presigned)
        r_creq, r_sts, r_sig = ref_query_case(internal)
        r_sh = None
        assert presigned.endswith("&X-Amz-Signature=" + rec["signature"]), presigned
    e = c["expected"]
    assert e["canonical_request"] == r_creq, (c["name"], e["canonical_request"], r_creq)
    assert e["string_to_sign"] == r_sts, c["name"]
    assert e["signature"] == r_sig, c["name"]
    if r_sh is not None:
        assert e["signed_headers"] == r_sh, (c["name"], e["signed_headers"], r_sh)
    if doc:
        assert e["signature"] == doc, (c["name"], e["signature"], doc)
    return c


def generate():
    cases = [make_case(s) for s in SPECS]
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names)
    return {
        "about": "S3 SigV4 vectors computed by botocore (S3SigV4Auth / S3SigV4QueryAuth) and re-checked by an "
                 "independent implementation in gen_s3_cases.py. See README.md.",
        "generator": "gen_s3_cases.py",
        "botocore_version": botocore.__version__,
        "defaults": {"access_key_id": AK, "secret_access_key": SK, "region": REGION, "service": "s3",
                     "timestamp": TS},
        "cases": cases,
    }


def dump(doc):
    # botocore_version is informational; leave it out of the comparison in --check
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def main():
    doc = generate()
    text = dump(doc)
    if "--check" in sys.argv[1:]:
        old = json.load(open(OUT, encoding="utf-8"))
        old.pop("botocore_version", None)
        new = json.loads(text)
        new.pop("botocore_version", None)
        if old != new:
            print("s3-cases.json differs from a fresh generation", file=sys.stderr)
            sys.exit(1)
        print(f"s3-cases.json up to date ({len(doc['cases'])} cases)")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUT}: {len(doc['cases'])} cases "
          f"({sum(c['auth'] == 'query' for c in doc['cases'])} presigned), botocore {botocore.__version__}")


if __name__ == "__main__":
    main()
