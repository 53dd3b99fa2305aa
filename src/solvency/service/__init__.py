"""The running risk oracle: FastAPI app (REST + WebSocket), auth and metrics (extra ``[service]``)."""
