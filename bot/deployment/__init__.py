"""Running the bot as a deployment: the one data folder, the guard that keeps the
fingerprint key and the database together, backups and restores, and the doctor that
checks a deployment's settings. Used by `python -m bot` (its start and its command-line
tools) and by the runtime plugin; it knows nothing of chat or HTTP servers."""
