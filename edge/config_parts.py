"""Pieces of the gateway configuration shared by its sections (Modbus, BACnet, assets)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    """A config section: unknown keys are errors, values are frozen once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SignalSpec(Strict):
    """A signal's unit and plausible range (readings outside are flagged OUT_OF_RANGE)."""

    unit: str = ""
    min: float | None = None
    max: float | None = None


class ClientTls(Strict):
    """TLS of a client: a private CA, and a certificate with its key for mutual TLS."""

    ca_file: Path | None = None
    cert_file: Path | None = Field(default=None, description="Client certificate (mutual TLS)")
    key_file: Path | None = Field(default=None, description="Its private key")

    @model_validator(mode="after")
    def _cert_with_key(self) -> ClientTls:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together (mutual TLS)")
        return self

    @property
    def uses_tls(self) -> bool:
        """Whether anything asks for TLS."""
        return self.ca_file is not None or self.cert_file is not None
