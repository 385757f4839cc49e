"""Journal de bord / journal d'expérimentation: daily-life entries and flat checks."""
