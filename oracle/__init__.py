"""OpenMerit oracle: scores contributions, splits epoch budgets, proposes rewards."""
