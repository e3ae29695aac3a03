"""Messaging: templates, channels and the rules that decide whether a message may leave."""
