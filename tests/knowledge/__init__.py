"""Tests of the knowledge base: chunking, tokens, embeddings, the index and retrieval quality."""
