"""The shared blacklist: shops bind and report, anyone checks a buyer, and the one
function that gathers a buyer's evidence and judges it (bot/blacklist/verdicts.py)."""
