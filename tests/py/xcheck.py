"""Independent implementation of the sealed-secrets hybrid scheme, for cross-checking sealant.

ciphertext = u16be(len(rsa_ct)) || RSA-OAEP(SHA-256, MGF1-SHA-256, label)(session key)
             || AES-GCM(session key, 12 zero bytes nonce, no AAD)(plaintext) || tag

  xcheck.py encrypt --cert CERT --label LABEL   < plaintext  > base64 value
  xcheck.py decrypt --key KEY --label LABEL     < base64     > plaintext
  xcheck.py unseal  --key KEY FILE.json         > {"key": base64(plaintext)}
"""

import argparse
import base64
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=label or None)


def encrypt(cert_pem: bytes, label: bytes, plaintext: bytes) -> bytes:
    public_key = x509.load_pem_x509_certificate(cert_pem).public_key()
    session_key = os.urandom(32)
    rsa_ct = public_key.encrypt(session_key, oaep(label))
    return struct.pack(">H", len(rsa_ct)) + rsa_ct + AESGCM(session_key).encrypt(b"\0" * 12, plaintext, None)


def decrypt(key_pem: bytes, label: bytes, ciphertext: bytes) -> bytes:
    private_key = serialization.load_pem_private_key(key_pem, password=None)
    (rsa_len,) = struct.unpack(">H", ciphertext[:2])
    session_key = private_key.decrypt(ciphertext[2 : 2 + rsa_len], oaep(label))
    return AESGCM(session_key).decrypt(b"\0" * 12, ciphertext[2 + rsa_len :], None)


def label_of(sealed: dict) -> bytes:
    meta = sealed["metadata"]
    annotations = meta.get("annotations") or {}
    if annotations.get("sealedsecrets.bitnami.com/cluster-wide") == "true":
        return b""
    if annotations.get("sealedsecrets.bitnami.com/namespace-wide") == "true":
        return meta["namespace"].encode()
    return f"{meta['namespace']}/{meta['name']}".encode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["encrypt", "decrypt", "unseal"])
    parser.add_argument("file", nargs="?")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    label = args.label.encode()
    try:
        if args.command == "encrypt":
            value = encrypt(open(args.cert, "rb").read(), label, sys.stdin.buffer.read())
            sys.stdout.write(base64.b64encode(value).decode())
        elif args.command == "decrypt":
            value = base64.b64decode(sys.stdin.read().strip())
            sys.stdout.buffer.write(decrypt(open(args.key, "rb").read(), label, value))
        else:
            sealed = json.load(open(args.file))
            key = open(args.key, "rb").read()
            out = {
                k: base64.b64encode(decrypt(key, label_of(sealed), base64.b64decode(v))).decode()
                for k, v in sealed["spec"]["encryptedData"].items()
            }
            json.dump(out, sys.stdout)
    except Exception as e:  # a failed check must say why, not trace
        print(f"xcheck: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
