"""Runs inside the txtai virtual environment: index the given chunks, then time searches.

Reads {"model", "texts", "questions", "batch"} from the JSON file named on the command
line and prints timings as JSON; it imports nothing from this project.
"""

import json
import sys
import time

import torch
from txtai import Embeddings

spec = json.loads(open(sys.argv[1]).read())
torch.set_num_threads(spec.get("threads") or torch.get_num_threads())
started = time.perf_counter()
embeddings = Embeddings(
    path=spec["model"], backend="faiss", content=False, encodebatch=spec["batch"]
)
loaded = time.perf_counter()
embeddings.index((i, text, None) for i, text in enumerate(spec["texts"]))
built = time.perf_counter()
for question in spec["questions"][:3]:
    embeddings.search(question, 10)
latencies = []
for question in spec["questions"] * spec.get("rounds", 4):
    t = time.perf_counter()
    embeddings.search(question, 10)
    latencies.append((time.perf_counter() - t) * 1000)
print(
    json.dumps(
        {
            "load_s": loaded - started,
            "index_s": built - loaded,
            "count": embeddings.count(),
            "search_ms": latencies,
        }
    )
)
