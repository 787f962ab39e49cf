"""Independent implementation of the sealed-secrets hybrid scheme, to cross-check sealant.

Only the standard library and `cryptography`; shares no code with sealant.

  sealed value = base64(u16be(len(rsa_ct)) || rsa_ct || AES-GCM(session_key)(plaintext) || tag)
  rsa_ct       = RSA-OAEP(SHA-256, MGF1-SHA-256, label)(session_key)
  AES-GCM      : nonce = 12 zero bytes, no AAD, 16-byte tag; a 32-byte session key when
                 encrypting, 16, 24 or 32 bytes accepted when decrypting
  label        : strict "<namespace>/<name>", namespace-wide "<namespace>", cluster-wide ""

Usage:
  xcheck.py encrypt --cert CERT.pem --label LABEL [--session-key-bytes N] < plaintext > base64
  xcheck.py decrypt --key KEY.pem --label LABEL < base64 > plaintext
  xcheck.py unseal --key KEY.pem FILE.json > {"key": base64(plaintext), ...}

Exits 1 with a message on standard error when anything fails.
"""

import argparse
import base64
import json
import os
import struct
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = bytes(12)
CLUSTER_WIDE = "sealedsecrets.bitnami.com/cluster-wide"
NAMESPACE_WIDE = "sealedsecrets.bitnami.com/namespace-wide"


def oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=label,
    )


def encrypt(cert_pem: bytes, label: bytes, plaintext: bytes, key_bytes: int = 32) -> bytes:
    public_key = x509.load_pem_x509_certificate(cert_pem).public_key()
    session_key = os.urandom(key_bytes)
    rsa_ct = public_key.encrypt(session_key, oaep(label))
    return struct.pack(">H", len(rsa_ct)) + rsa_ct + AESGCM(session_key).encrypt(NONCE, plaintext, None)


def decrypt(key_pem: bytes, label: bytes, sealed: bytes) -> bytes:
    private_key = serialization.load_pem_private_key(key_pem, password=None)
    if len(sealed) < 2:
        raise ValueError("sealed value shorter than its length prefix")
    (rsa_len,) = struct.unpack(">H", sealed[:2])
    if len(sealed) < 2 + rsa_len + 16:
        raise ValueError(f"sealed value too short for a {rsa_len}-byte RSA block and a GCM tag")
    session_key = private_key.decrypt(sealed[2 : 2 + rsa_len], oaep(label))
    if len(session_key) not in (16, 24, 32):
        raise ValueError(f"session key of {len(session_key)} bytes")
    return AESGCM(session_key).decrypt(NONCE, sealed[2 + rsa_len :], None)


def b64decode(text: str) -> bytes:
    """Standard alphabet with padding, nothing else (surrounding whitespace aside)."""
    return base64.b64decode(text.strip(), validate=True)


def label_of(sealed_secret: dict) -> bytes:
    """The label a SealedSecret's values are sealed with, from its metadata, as the controller does."""
    meta = sealed_secret["metadata"]
    annotations = meta.get("annotations") or {}
    if annotations.get(CLUSTER_WIDE) == "true":
        return b""
    if annotations.get(NAMESPACE_WIDE) == "true":
        return meta["namespace"].encode()
    return f"{meta['namespace']}/{meta['name']}".encode()


def unseal(key_pem: bytes, sealed_secret: dict) -> dict:
    if sealed_secret.get("kind") != "SealedSecret":
        raise ValueError(f"expected a SealedSecret, got kind {sealed_secret.get('kind')!r}")
    label = label_of(sealed_secret)
    return {
        name: base64.b64encode(decrypt(key_pem, label, b64decode(value))).decode()
        for name, value in sealed_secret["spec"]["encryptedData"].items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    enc = commands.add_parser("encrypt", help="seal standard input, print base64")
    enc.add_argument("--cert", type=Path, required=True)
    enc.add_argument("--label", required=True)
    enc.add_argument("--session-key-bytes", type=int, choices=(16, 24, 32), default=32)
    dec = commands.add_parser("decrypt", help="open a base64 sealed value from standard input")
    dec.add_argument("--key", type=Path, required=True)
    dec.add_argument("--label", required=True)
    uns = commands.add_parser("unseal", help="open every value of a SealedSecret (JSON)")
    uns.add_argument("--key", type=Path, required=True)
    uns.add_argument("file", type=Path)
    args = parser.parse_args()

    try:
        if args.command == "encrypt":
            sealed = encrypt(
                args.cert.read_bytes(), args.label.encode(), sys.stdin.buffer.read(), args.session_key_bytes
            )
            sys.stdout.write(base64.b64encode(sealed).decode())
        elif args.command == "decrypt":
            sealed = b64decode(sys.stdin.buffer.read().decode("ascii"))
            sys.stdout.buffer.write(decrypt(args.key.read_bytes(), args.label.encode(), sealed))
        else:
            sealed_secret = json.loads(args.file.read_bytes())
            json.dump(unseal(args.key.read_bytes(), sealed_secret), sys.stdout)
    except Exception as e:
        # Say why, without a traceback (cryptography's InvalidTag has an empty message).
        print(f"xcheck.py {args.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
