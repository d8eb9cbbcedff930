#!/usr/bin/env bash
# Install, index seeds/ when the data dir holds no index, then serve on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1
DATA_DIR="${RAG_DATA_DIR:-data}"
.venv/bin/rag index build seeds --if-missing --data-dir "$DATA_DIR"
exec .venv/bin/rag serve --data-dir "$DATA_DIR" --host "${RAG_HOST:-127.0.0.1}" --port "${RAG_PORT:-8000}"
