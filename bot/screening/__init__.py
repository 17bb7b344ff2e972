"""Bulk work on spreadsheets (DESIGN.md §2 item 8): reading the exports merchants
have, screening every order against the pool in a worker process, importing a group's
blacklist and exporting the pool."""
