"""The LLM runtime: one backend protocol over llama.cpp (in process), any
OpenAI-compatible endpoint, and Hugging Face transformers; structured output
validated against pydantic models; a size guard for small local models only."""
