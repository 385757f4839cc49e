"""A software passkey authenticator for tests: real EC P-256 keys, real WebAuthn encodings.

It builds what a browser sends back from navigator.credentials.create() / .get(): client data
JSON, authenticator data (RP ID hash, flags, counter), a "none" attestation object with the
COSE public key, and ECDSA signatures over authenticatorData || SHA-256(clientDataJSON).
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64(data: bytes) -> str:
    return bytes_to_base64url(data)


@dataclass
class SoftPasskey:
    """One discoverable credential held by the software authenticator."""

    rp_id: str
    user_handle: bytes
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(
        ec.SECP256R1()))
    sign_count: int = 0
    #: Whether the authenticator reports user verification (fingerprint, face, PIN).
    verified: bool = True
    backup_eligible: bool = True
    backed_up: bool = True

    def _flags(self, attested: bool = False) -> int:
        flags = UP | (UV if self.verified else 0)
        flags |= (BE if self.backup_eligible else 0) | (BS if self.backed_up else 0)
        return flags | (AT if attested else 0)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def _auth_data(self, attested: bool, rp_id: str | None = None) -> bytes:
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        data = rp_hash + bytes([self._flags(attested)]) + struct.pack(">I", self.sign_count)
        if attested:
            data += bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
            data += self.cose_key()
        return data

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    def attestation(self, options: dict, origin: str, rp_id: str | None = None) -> str:
        """The JSON a browser posts after navigator.credentials.create() with `options`."""
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {},
                                          "authData": self._auth_data(True, rp_id)})
        return json.dumps({
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64(client_data),
                         "attestationObject": b64(attestation_object),
                         "transports": ["internal", "hybrid"]},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform"})

    def assertion(self, options: dict, origin: str, *, rp_id: str | None = None,
                  user_handle: bytes | None = None, count: bool = True) -> str:
        """The JSON a browser posts after navigator.credentials.get() with `options`."""
        if count:
            self.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._auth_data(False, rp_id)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                         "signature": b64(signature),
                         "userHandle": b64(user_handle or self.user_handle)},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform"})


def passkey_for(options: dict, **kw) -> SoftPasskey:
    """A new credential for registration `options` (as sent to the browser)."""
    return SoftPasskey(rp_id=options["rp"]["id"],
                       user_handle=base64url_to_bytes(options["user"]["id"]), **kw)
