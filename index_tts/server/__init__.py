"""HTTP API + web UI server. ``create_app(synth, ...)`` builds the FastAPI app (UI mounted at ``/``).

Imported lazily: ``import index_tts.server`` does not pull in FastAPI or Gradio.
"""
from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from .api import create_app

        return create_app
    raise AttributeError(name)
