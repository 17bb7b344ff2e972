"""The verdict: categories and their severity, order red flags, which reports count,
and the formula that turns a buyer's evidence into a level and a score. Pure: no
database, no chat, no clock of its own."""
