"""The web interface for people: server-rendered pages and forms."""
