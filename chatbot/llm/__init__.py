"""Language models behind an OpenAI-compatible endpoint: the client, and the packaged local server."""
