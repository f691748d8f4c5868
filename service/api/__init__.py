"""FastAPI application: app factory, routes, schemas, error handlers."""
