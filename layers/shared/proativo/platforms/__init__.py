"""Platform adapters: each verifies its platform's signature and maps its payloads to canonical events.

base        the Platform protocol and the readers every adapter shares
snapshots   turning a platform's order snapshot into the facts it shows
registry    PLATFORMS, every adapter by name: adding a platform is one module here and one entry there
readback    platforms that only notify: reading the resource back with the store's API credentials
"""
