"""citysim: the reference city e-seal system (城市电子印章系统) that SealDesk registers holders and uploads
usage records to. A real HTTP service (FastAPI + uvicorn, SQLite in WAL mode) used by the tests and the demo.

The protocol is docs/city-protocol.md; the binding OpenAPI document is resources/city-api.yaml.
"""

API_PREFIX = "/api/v1"
MAX_RECORDS_PER_REQUEST = 500
NONCE_LIFETIME_S = 300
