"""OpenMerit's apps: the `merit` command line and the demo, on top of dao/, oracle/ and api/."""
