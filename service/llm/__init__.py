"""LLM backends: the protocol, the OpenAI-compatible backend, the circuit breaker, the offline composer."""
