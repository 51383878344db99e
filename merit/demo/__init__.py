"""The `merit demo` story: one OpenMerit epoch end to end on embedded defaults."""
