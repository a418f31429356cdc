"""The quick start the dist test runs on a Debian root without Swift, through the official Chroma client:

    python quickstart.py connect HOST PORT      # a `cairn serve` started from the release tarball
    python quickstart.py serve FOLDER           # cairn_db.serve(FOLDER) from the installed wheel

Adds three records, queries, gets by metadata, and checks the answers. Exits 1 naming what differed."""
import sys


def quick_start(client):
    articles = client.get_or_create_collection("articles", metadata={"hnsw:space": "cosine"})
    articles.add(ids=["a1", "a2", "a3"], embeddings=[[0.1, 0.9], [0.8, 0.2], [0.2, 0.8]],
                 metadatas=[{"topic": "space", "year": 2024}, {"topic": "food", "year": 2021},
                            {"topic": "space", "year": 2019}],
                 documents=["A telescope sees a nebula", "Garlic pasta", "A probe leaves the solar system"])
    hits = articles.query(query_embeddings=[[0.2, 0.8]], n_results=2, where={"year": {"$gte": 2020}})
    check(hits["ids"] == [["a1", "a2"]], f"query ids {hits['ids']}")
    got = articles.get(where={"topic": "space"}, include=["documents"])
    check(sorted(got["ids"]) == ["a1", "a3"], f"get ids {got['ids']}")
    check(articles.count() == 3, f"count {articles.count()}")
    print("quick start ok: query", hits["ids"][0], "get", sorted(got["ids"]))


def check(condition, what):
    if not condition:
        sys.exit(f"quick start FAILED: unexpected {what}")


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "connect" and len(sys.argv) == 4:
        import chromadb

        client = chromadb.HttpClient(host=sys.argv[2], port=int(sys.argv[3]))
        quick_start(client)
    elif mode == "serve" and len(sys.argv) == 3:
        import cairn_db

        client = cairn_db.serve(sys.argv[2])
        server = client._cairn_server
        quick_start(client)
        client.close()
        check(server.process.poll() is not None, "server still running after client.close()")
        print("server stopped with status", server.process.returncode)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
