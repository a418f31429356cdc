import sys, json, http.client
sys.path.insert(0, "/work/shared/bench")
import dataset, chromadb
from chromadb.config import Settings
data = dataset.load()
for port in (8490, 8491):
    c = chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False))
    coll = c.get_collection("bench")
    body = json.dumps({"query_embeddings": [list(map(float, data["queries"][0]))], "n_results": 10, "include": ["distances"]})
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", f"/api/v2/tenants/default_tenant/databases/default_database/collections/{coll.id}/query", body, {"Content-Type": "application/json"})
    r = conn.getresponse(); raw = r.read()
    print(port, r.status, len(raw), dict(r.getheaders()))
    print(raw[:400])
