"""The local stack: the deployed template's functions, run on this machine against an embedded AWS (moto)."""
