"""Response cache: exact keys, diskcache/Redis stores, the semantic index, counters."""
