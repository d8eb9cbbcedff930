"""The store: transcripts and chunk metadata in SQLite, chunk vectors in a vector index."""
