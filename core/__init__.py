"""Shared infrastructure every app may use: the API envelope and errors, throttling, logging
with request ids, WebSocket security, group names, the channel layer, caches and the chat
sockets' database threads. `config/` holds only configuration."""
