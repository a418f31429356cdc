"""Copies a Cairn store folder (its `tenant/` tree) into an S3 bucket prefix with boto3, for benchmarks that need
a large collection in the local S3 server. Usage: upload_folder.py FOLDER BUCKET PREFIX (endpoint and credentials
from the environment that minio/start.sh prints)."""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

folder, bucket, prefix = sys.argv[1], sys.argv[2], sys.argv[3].strip("/")
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name=os.environ["AWS_REGION"])
files = []
for root, _, names in os.walk(os.path.join(folder, "tenant")):
    files += [os.path.join(root, n) for n in names]


def put(path):
    key = prefix + "/" + os.path.relpath(path, folder)
    s3.upload_file(path, bucket, key)
    return os.path.getsize(path)


with ThreadPoolExecutor(8) as pool:
    total = sum(pool.map(put, files))
print(f"uploaded {len(files)} objects, {total} bytes to s3://{bucket}/{prefix}/")
