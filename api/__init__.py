"""OpenMerit explorer API: indexes chain events into SQL and serves them over HTTP.

    merit index run            # backfill, then follow the deployment's contracts
    merit api serve --port 8000  # the API; /docs and /openapi.json

Both read `api.settings.Settings` (environment prefix `MERIT_API_`: DATABASE_URL, RPC_URL,
DEPLOYMENT, RUN_INDEXER, RELAYER_PRIVATE_KEY, ...) and the artifact store's settings
(`MERIT_ARTIFACTS_`). Modules: `models` + `migrations` (schema), `decoding` (bulk log decoding),
`indexer` (ranges, reorgs) + `ingest` (rows from events and epoch reports), `main` (app factory),
`deps`, `routes/` (one module per resource), `schemas`, `clock` (project epoch clocks over the
indexed schedules), `relay` (commitBySig / revealBySig relay).
"""
