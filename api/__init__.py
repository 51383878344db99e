"""OpenMerit explorer API: indexes chain events and serves them over HTTP."""
