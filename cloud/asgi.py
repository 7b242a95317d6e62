"""ASGI entry point for uvicorn: settings from the environment."""

from cloud.app import create_app

app = create_app()
