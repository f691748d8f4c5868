"""Knowledge documents, embeddings, the Chroma store, Korean BM25 and hybrid search."""
