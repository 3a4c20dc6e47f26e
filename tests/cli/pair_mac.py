#!/usr/bin/python3
"""An independent check of a MACed meshbeat datagram (COSE_Mac0).

Written from docs/wire-format.md and the RFCs, sharing no code with
meshbeat: RFC 9052 §6.2-6.3 (COSE_Mac0 and its MAC_structure), RFC 9053
§3.1 (HMAC 256/64, alg 4), RFC 8949 (CBOR).  The pair key is recomputed
from the two members' key files with libsodium through PyNaCl
(crypto_kx over the Ed25519 identities converted to X25519, the lower node
id as client, the client's transmit key), the tag with Python's hmac and
hashlib over a MAC_structure encoded here by hand; cbor2 only takes the
received datagram apart.  Without PyNaCl this fails: it never skips.

usage: pair_mac.py --cluster NAME --sender-key FILE --receiver-key FILE
                   --epoch HEX16 FILE
Exits 0 when the datagram is a COSE_Mac0 from the sender, bound to the
receiver and its epoch, whose tag verifies under the pair's key; 1
otherwise (reason on stderr).
"""
import argparse
import hashlib
import hmac
import io
import sys

import cbor2

try:
    from nacl import bindings as sodium
except ImportError:  # CI installs it (scripts/install-deps.sh): never skip
    sys.exit("pair_mac: PyNaCl is missing (Debian package python3-nacl)")

KEY_PREFIX = "meshbeat-ed25519-secret-v1 "
TAG_MAC0 = 17
PROTECTED = bytes.fromhex("a10104")  # {1: 4}: alg HMAC 256/64
HDR_ALG, HDR_KID = 1, 4
ALG_HMAC256_64 = 4
BODY_TO = 6  # the receiver's node ref
REF_LEN, TAG_LEN = 8, 8


def load_identity(path):
    """A meshbeat key file: one line, the prefix, then a 64-hex seed.
    Returns (Ed25519 public key = node id, 64-byte secret key)."""
    text = open(path).read().strip()
    if not text.startswith(KEY_PREFIX):
        raise ValueError(f"{path}: not a meshbeat key file")
    seed = bytes.fromhex(text[len(KEY_PREFIX):])
    return sodium.crypto_sign_seed_keypair(seed)


def pair_key(a, b):
    """The key members a and b share, each an (id, secret key) pair.

    Both ends convert their Ed25519 keys to X25519; the one whose node id
    is lower (bytewise) is the crypto_kx client, and the pair uses the
    client's transmit key.  Computed here from both ends, which must agree:
    the client's tx is the server's rx."""
    client, server = (a, b) if a[0] < b[0] else (b, a)
    x = {}
    for role, (pk, sk) in (("client", client), ("server", server)):
        x[role] = (sodium.crypto_sign_ed25519_pk_to_curve25519(pk),
                   sodium.crypto_sign_ed25519_sk_to_curve25519(sk))
    _, client_tx = sodium.crypto_kx_client_session_keys(
        x["client"][0], x["client"][1], x["server"][0])
    server_rx, _ = sodium.crypto_kx_server_session_keys(
        x["server"][0], x["server"][1], x["client"][0])
    if client_tx != server_rx:
        raise ValueError("the two ends derive different pair keys")
    return client_tx


def bound_aad(cluster, receiver_id, epoch):
    """A bound datagram's external AAD: the cluster name, the receiver's
    32-byte node id, its epoch as 8 bytes big-endian."""
    return cluster.encode() + receiver_id + epoch.to_bytes(8, "big")


def cbor_head(major, n):
    """RFC 8949 §3: the shortest head for major type and argument n."""
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError("argument too large")


def mac_structure(protected, aad, payload):
    """RFC 9052 §6.3: ["MAC0", body_protected, external_aad, payload]."""
    context = b"MAC0"
    out = cbor_head(4, 4) + cbor_head(3, len(context)) + context
    for item in (protected, aad, payload):
        out += cbor_head(2, len(item)) + item
    return out


def mac_tag(key, protected, aad, payload):
    """HMAC 256/64: HMAC-SHA-256 truncated to its first 8 bytes."""
    full = hmac.new(key, mac_structure(protected, aad, payload),
                    hashlib.sha256).digest()
    return full[:TAG_LEN]


def check(data, cluster, sender, receiver, epoch):
    """Raises ValueError unless data is a COSE_Mac0 from sender to receiver
    (each an (id, secret key) pair) bound to epoch; returns the body."""
    stream = io.BytesIO(data)
    item = cbor2.CBORDecoder(stream).decode()
    if stream.tell() != len(data):
        raise ValueError("bytes after the COSE_Mac0")
    if not (isinstance(item, cbor2.CBORTag) and item.tag == TAG_MAC0):
        raise ValueError("not a tagged COSE_Mac0")
    if not (isinstance(item.value, list) and len(item.value) == 4):
        raise ValueError("a COSE_Mac0 is an array of 4")
    protected, unprotected, payload, tag = item.value
    key = pair_key(sender, receiver)
    aad = bound_aad(cluster, receiver[0], epoch)
    if not hmac.compare_digest(mac_tag(key, protected, aad, payload), tag):
        raise ValueError("tag does not verify")
    # Authentic bytes; now what they say.  The kid is not MACed: it only
    # tells the receiver whose key to try, so it must be the sender's.
    if cbor2.loads(protected) != {HDR_ALG: ALG_HMAC256_64}:
        raise ValueError("protected header is not {1: 4}")
    if unprotected.get(HDR_KID) != sender[0][:REF_LEN]:
        raise ValueError("kid is not the sender's node ref")
    body = cbor2.loads(payload)
    if body.get(BODY_TO) != receiver[0][:REF_LEN]:
        raise ValueError("body key 6 does not name the receiver")
    return body, key, aad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cluster", required=True)
    ap.add_argument("--sender-key", required=True)
    ap.add_argument("--receiver-key", required=True)
    ap.add_argument("--epoch", required=True, help="16 hex digits")
    ap.add_argument("file")
    args = ap.parse_args()
    if len(args.epoch) != 16:
        ap.error("--epoch wants 16 hex digits")
    epoch = int(args.epoch, 16)
    sender = load_identity(args.sender_key)
    receiver = load_identity(args.receiver_key)
    with open(args.file, "rb") as f:
        data = f.read()
    try:
        body, key, aad = check(data, args.cluster, sender, receiver, epoch)
    except (ValueError, KeyError, TypeError, AttributeError,
            cbor2.CBORDecodeError) as e:
        print(f"pair_mac: {e}", file=sys.stderr)
        return 1
    print(f"pair key {key.hex()}")
    print(f"aad {aad.hex()}")
    print(f"mac0 from {sender[0][:REF_LEN].hex()} to "
          f"{receiver[0][:REF_LEN].hex()} seq {body[2]}: tag ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
