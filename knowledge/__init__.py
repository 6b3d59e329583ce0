"""The answer engine: a Chinese legal knowledge base that knows nothing of Telegram."""
