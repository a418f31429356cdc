"""The data check_console.py browses, written through the official chromadb client (which lives in .venv-chroma, so
check_console.py, running in .venv for selenium, runs this as a child): `console_data.py PORT` with the server's
token in $CAIRN_AUTH_TOKEN. Prints one JSON line: what it wrote, for the check to compare the page against."""
import json
import os
import random
import sys

import chroma_venv

if __name__ == "__main__":
    chroma_venv.ensure(__file__)

import chromadb  # noqa: E402
from chromadb.config import Settings  # noqa: E402

GENRES = ["poetry", "prose", "drama"]
RECORDS = 60
DIMENSION = 8
# A document and metadata that would run script or make markup if the page ever built HTML from data.
HOSTILE_DOCUMENT = '<script>window.__cairnPwned = 1</script><img src=x onerror="window.__cairnPwned = 2"> & "quoted"'
HOSTILE_METADATA = {"note": "<b>not bold</b>", "genre": "poetry", "n": 1000}


def vector(key, dimension=DIMENSION):
    rng = random.Random(key)
    return [rng.uniform(-1, 1) for _ in range(dimension)]


def main():
    port = int(sys.argv[1])
    headers = {"Authorization": f"Bearer {os.environ['CAIRN_AUTH_TOKEN']}"}
    client = chromadb.HttpClient(host="127.0.0.1", port=port, headers=headers,
                                 settings=Settings(anonymized_telemetry=False))
    poems = client.create_collection("poems", metadata={"owner": "console check"}, embedding_function=None,
                                     configuration={"hnsw": {"space": "cosine"}})
    ids = [f"p{i:03d}" for i in range(RECORDS)]
    poems.add(ids=ids, embeddings=[vector(i) for i in ids],
              metadatas=[{"n": i, "genre": GENRES[i % 3]} for i in range(RECORDS)],
              documents=[f"poem {i} about the {['tide', 'stone', 'wind'][i % 3]}" for i in range(RECORDS)])
    poems.add(ids=["hostile"], embeddings=[vector("hostile")], metadatas=[HOSTILE_METADATA],
              documents=[HOSTILE_DOCUMENT])
    client.create_collection("empty", embedding_function=None)

    admin = chromadb.AdminClient(client.get_settings())
    admin.create_tenant("acme")
    admin.create_database("research", tenant="acme")
    other = chromadb.HttpClient(host="127.0.0.1", port=port, headers=headers, tenant="acme", database="research",
                                settings=Settings(anonymized_telemetry=False))
    papers = other.create_collection("papers", embedding_function=None)
    papers.add(ids=[f"a{i}" for i in range(5)], embeddings=[vector(f"a{i}", 4) for i in range(5)],
               documents=[f"paper {i}" for i in range(5)])
    print(json.dumps({"poems": {"id": str(poems.id), "count": RECORDS + 1},
                      "empty": {"id": str(client.get_collection("empty").id), "count": 0},
                      "papers": {"id": str(papers.id), "count": 5},
                      "hostile_document": HOSTILE_DOCUMENT, "hostile_metadata": HOSTILE_METADATA}), flush=True)


if __name__ == "__main__":
    main()
