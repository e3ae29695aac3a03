"""Proativo: proactive customer service for online stores (the shared package of every function)."""
