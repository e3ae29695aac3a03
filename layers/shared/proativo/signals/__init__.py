"""Browsing signals: what a consenting visitor's navigation says while they are still on the store's site, and the
invitation (a chat, a WhatsApp conversation, an answer) it is worth."""
