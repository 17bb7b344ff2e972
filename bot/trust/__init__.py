"""Who may brand a buyer and who may undo it (DESIGN.md §7): 版主, trusted groups,
vouching, bans, appeals, each group's own rules, and the credentials of the web door."""
