#!/usr/bin/python3
"""An independent verifier of meshbeat datagrams, records and certificates.

Written only from the RFCs, sharing no code with meshbeat: RFC 9052 §4.2-4.4
(COSE_Sign1 and its Sig_structure), RFC 9053 §2.2 (EdDSA, alg -8), RFC 8392
(CWT claims), RFC 8747 (cnf), RFC 8949 (CBOR).  CBOR is decoded with cbor2 and
Ed25519 is checked with pyca/cryptography; the Sig_structure is encoded here
by hand from RFC 8949 §3 so that no meshbeat or libcbor code is trusted.

usage: cose_verify.py --cluster NAME [--authority HEX] FILE
Exits 0 when every signature verifies, 1 otherwise (reason on stderr).
"""
import argparse
import sys
import time

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TAG_SIGN1, TAG_CWT = 18, 61
ALG_EDDSA = -8
HDR_ALG, HDR_KID = 1, 4


def cbor_head(major, n):
    """RFC 8949 §3: the shortest head for major type and argument n."""
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError("argument too large")


def sig_structure(protected, aad, payload):
    """RFC 9052 §4.4: ["Signature1", body_protected, external_aad, payload]."""
    context = b"Signature1"
    out = cbor_head(4, 4) + cbor_head(3, len(context)) + context
    for item in (protected, aad, payload):
        out += cbor_head(2, len(item)) + item
    return out


def open_sign1(data, aad, key=None):
    """Checks one COSE_Sign1; returns (kid, decoded payload)."""
    item = cbor2.loads(data)
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_CWT:
        item = item.value
    if not (isinstance(item, cbor2.CBORTag) and item.tag == TAG_SIGN1):
        raise ValueError("not a tagged COSE_Sign1")
    protected, unprotected, payload, signature = item.value
    if cbor2.loads(protected).get(HDR_ALG) != ALG_EDDSA:
        raise ValueError("protected header does not say EdDSA")
    kid = unprotected[HDR_KID]
    public = Ed25519PublicKey.from_public_bytes(key or kid)
    try:
        public.verify(signature, sig_structure(protected, aad, payload))
    except InvalidSignature:
        raise ValueError("signature does not verify") from None
    return kid, cbor2.loads(payload)


def check_certificate(data, authority):
    """RFC 8392 claims: signed by the authority, unexpired, with a cnf key."""
    kid, claims = open_sign1(data, b"", authority)
    cose_key = claims[8][1]
    if cose_key[1] != 1 or cose_key[-1] != 6 or len(cose_key[-2]) != 32:
        raise ValueError("cnf is not an Ed25519 OKP key")
    if claims[4] < time.time():
        raise ValueError("certificate expired")
    return claims[2], cose_key[-2]


def check_record(kid, payload, authority):
    """A bare record (payload key 0 is its kind).  A revocation (kind 20)
    must name a 32-byte node id and, given the authority, be signed by it."""
    kind = payload[0]
    if kind == 20:
        if len(payload[1]) != 32 or not isinstance(payload[2], int):
            raise ValueError("a revocation names a node id and a version")
        if authority is not None and kid != authority:
            raise ValueError("revocation not signed by the authority")
        reason = cbor2.loads(payload[5]).get(1, "") if 5 in payload else ""
        print(f"revocation of {payload[1].hex()} version {payload[2]} "
              f"({reason!r}) by {kid.hex()}: ok")
    else:
        print(f"record kind {kind} by {kid.hex()}: signature ok")


def check_datagram(data, cluster, authority):
    aad = cluster.encode()
    sender, body = open_sign1(data, aad)
    if 0 in body:
        return check_record(sender, body, authority)
    print(f"datagram from {sender.hex()} seq {body[2]}: signature ok")
    for i, record in enumerate(body.get(4, [])):
        author, payload = open_sign1(record, aad)
        print(f"record {i} kind {payload[0]} by {author.hex()}: ok")
    for i, cert in enumerate(body.get(5, [])):
        if authority is None:
            open_sign1(cert, b"")
            print(f"certificate {i}: signature ok (authority not given)")
        else:
            name, node = check_certificate(cert, authority)
            print(f"certificate {i} for {name} ({node.hex()}): admitted")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cluster", required=True)
    ap.add_argument("--authority")
    ap.add_argument("file")
    args = ap.parse_args()
    authority = bytes.fromhex(args.authority) if args.authority else None
    with open(args.file, "rb") as f:
        data = f.read()
    try:
        if data[:2] == bytes([0xD8, TAG_CWT]):
            name, node = check_certificate(data, authority)
            print(f"certificate for {name} ({node.hex()}): admitted")
        else:
            check_datagram(data, args.cluster, authority)
    except (ValueError, KeyError, TypeError, IndexError,
            cbor2.CBORDecodeError) as e:
        print(f"cose_verify: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
