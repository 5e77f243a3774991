"""The `local` LLM provider: llama.cpp running a packaged GGUF model in this process."""
