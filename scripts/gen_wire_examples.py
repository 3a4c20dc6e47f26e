#!/usr/bin/python3
"""Regenerates (or, with --check, verifies) the hex examples in
docs/wire-format.md from the real `meshbeat wire sample` output.

Keys come from fixed seeds and every field that would vary (time, seq,
capacity, the receiver's epoch) is pinned, so Ed25519's deterministic
signatures and HMAC make the examples byte-identical on every run.  Examples
live between the markers <!-- example:NAME --> and <!-- /example --> in the
document.  Every datagram shown is checked by `meshbeat inspect`; the
MACed one's pair key and tag are also recomputed, step by step, by
tests/cli/pair_mac.py (PyNaCl, hmac), independent of meshbeat.

usage: gen_wire_examples.py [--check] MESHBEAT DOC
"""
import hashlib
import hmac
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "cli"))
import pair_mac  # noqa: E402  (it needs cbor2 and PyNaCl)
import cbor2  # noqa: E402
from nacl.bindings import crypto_sign_ed25519_pk_to_curve25519  # noqa: E402

CLUSTER = "example"
AUTHORITY_SEED = "a0" * 32
NODE_SEED = "01" * 32
TARGET_SEED = "02" * 32
ISSUED_AT = "1790000000"  # 2026-09-21T12:53:20Z
FIELDS = ["--seq", "7", "--time", "1790000000123", "--incarnation", "3",
          "--addr", "192.0.2.10:7946", "--capacity", "4000787030016",
          "--available", "1234567890123", "--cpu", "125", "--mem", "431",
          "--load", "37", "--temp", "48500", "--probe-id", "42",
          "--target-addr", "192.0.2.11:7946"]
TO_EPOCH = "0123456789abcdef"  # the receiver's (target's) epoch
# kind -> carries the node's certificate
KINDS = {"ping": False, "ack": False, "ping-req": False, "nack": False,
         "push-pull": False, "push-pull-reply": False, "join": True,
         "leave": False, "gossip": False, "heartbeat": True,
         "suspect": False, "dead": False}


def run(*args, capture=True):
    return subprocess.run(args, check=True, capture_output=capture).stdout


def hex_block(data):
    h = data.hex()
    return "\n".join(h[i:i + 64] for i in range(0, len(h), 64))


def diagnostic(mb, path, check_args=()):
    """inspect's diagnostic notation; it must also judge the item good."""
    out = run(mb, "inspect", "--cluster", CLUSTER, *check_args,
              path).decode()
    return out.split("diagnostic:\n", 1)[1].split("\nverdict:", 1)[0]


def example_text(mb, path, what, check_args=()):
    data = open(path, "rb").read()
    return (f"{what}, {len(data)} bytes:\n\n```\n{hex_block(data)}\n```\n\n"
            f"Diagnostic notation (from `meshbeat inspect`):\n\n```\n"
            f"{diagnostic(mb, path, check_args)}\n```\n")


def mac_steps(sender_key, receiver_key, path):
    """The MACed example's tag recomputed from the two key files, with every
    intermediate value (tests/cli/pair_mac.py; nothing from meshbeat)."""
    sender = pair_mac.load_identity(sender_key)
    receiver = pair_mac.load_identity(receiver_key)
    data = open(path, "rb").read()
    _, key, aad = pair_mac.check(data, CLUSTER, sender, receiver,
                                 int(TO_EPOCH, 16))
    mac0 = cbor2.loads(data).value
    protected, payload, tag = mac0[0], mac0[2], mac0[3]
    structure = pair_mac.mac_structure(protected, aad, payload)
    full = hmac.new(key, structure, hashlib.sha256).digest()
    assert full[:8] == tag
    client, server = sorted([("sender", sender[0]),
                             ("receiver", receiver[0])], key=lambda r: r[1])
    x25519 = crypto_sign_ed25519_pk_to_curve25519
    rows = [
        (f"client ({client[0]}, lower id)", client[1]),
        (f"server ({server[0]})", server[1]),
        ("client X25519 public key", x25519(client[1])),
        ("server X25519 public key", x25519(server[1])),
        ("pair key (client tx = server rx)", key),
        ("external AAD", aad),
        ("MAC_structure", structure),
        ("HMAC-SHA-256", full),
        ("tag (first 8 bytes)", tag),
    ]
    text = "".join(f"{label}:\n{hex_block(value)}\n\n"
                   for label, value in rows)
    return ("Recomputed from the key files by `tests/cli/pair_mac.py` "
            "(PyNaCl, hmac):\n\n```\n" + text.rstrip("\n") + "\n```\n")


def make_examples(mb, tmp):
    key = lambda n: os.path.join(tmp, n)
    run(mb, "keygen", "--out", key("auth.key"), "--seed", AUTHORITY_SEED)
    node = run(mb, "keygen", "--out", key("node.key"), "--seed",
               NODE_SEED).decode().strip()
    target = run(mb, "keygen", "--out", key("target.key"), "--seed",
                 TARGET_SEED).decode().strip()
    run(mb, "cert", "issue", "--authority", key("auth.key"), "--node-id",
        node, "--name", "node1", "--domain", "rack-a", "--role", "storage",
        "--issued-at", ISSUED_AT, "--ttl", "365d", "--out", key("node.cert"))
    examples = {"certificate": example_text(
        mb, key("node.cert"), "Certificate for node1 in domain rack-a")}
    for kind, with_cert in KINDS.items():
        out = key(kind + ".bin")
        args = [mb, "wire", "sample", kind, "--key", key("node.key"),
                "--cluster", CLUSTER, "--target", target, "--out", out]
        if with_cert:
            args += ["--cert", key("node.cert")]
        run(*args, *FIELDS)
        examples[kind] = example_text(mb, out, f"`{kind}` datagram")
    # The ping again, bound to the target (its id and epoch in the AAD):
    # signed, as to a member that may not hold our certificate, and MACed
    # under the pair key, as between members.
    for name, mac in (("ping-bound", False), ("ping-mac", True)):
        out = key(name + ".bin")
        run(mb, "wire", "sample", "ping", "--key", key("node.key"),
            "--cluster", CLUSTER, "--target", target, "--to", target,
            "--to-epoch", TO_EPOCH, "--out", out, *(["--mac"] if mac else []),
            *FIELDS)
        check = ["--to-epoch", TO_EPOCH, "--peer", target]
        if mac:
            check += ["--key", key("node.key")]
        what = "`ping` datagram, " + ("MACed" if mac else "signed") + \
            f" and bound to the target at epoch {TO_EPOCH}"
        examples[name] = example_text(mb, out, what, check)
    examples["mac-steps"] = mac_steps(key("node.key"), key("target.key"),
                                      key("ping-mac.bin"))
    # A heartbeat with its tasks' progress (key 13).
    out = key("heartbeat-tasks.bin")
    run(mb, "wire", "sample", "heartbeat", "--key", key("node.key"),
        "--cluster", CLUSTER, "--target", target, "--out", out,
        "--cert", key("node.cert"), "--task", "17:1073741824",
        "--task", "18:0", *FIELDS)
    examples["heartbeat-tasks"] = example_text(
        mb, out, "`heartbeat` datagram with two tasks' progress")
    # An app message (Raft's channel), bound and MACed as between members;
    # its tag is recomputed without meshbeat, as the MACed ping's.
    out = key("app-mac.bin")
    run(mb, "wire", "sample", "app", "--key", key("node.key"), "--cluster",
        CLUSTER, "--to", target, "--to-epoch", TO_EPOCH, "--mac",
        "--payload", "00010203040506070809", "--out", out, *FIELDS)
    body, _, _ = pair_mac.check(open(out, "rb").read(), CLUSTER,
                                pair_mac.load_identity(key("node.key")),
                                pair_mac.load_identity(key("target.key")),
                                int(TO_EPOCH, 16))
    if body[3] != {0: 10, 1: 1, 2: bytes(range(10))}:
        raise SystemExit(f"app message is not what was asked: {body[3]}")
    examples["app-mac"] = example_text(
        mb, out, f"`app` datagram on channel 1 (Raft), MACed and bound to "
        f"the target at epoch {TO_EPOCH}",
        ["--to-epoch", TO_EPOCH, "--peer", target, "--key", key("node.key")])
    # A channel record: the authority's revocation of the target.
    run(mb, "cert", "revoke", "--authority", key("auth.key"), "--node-id",
        target, "--reason", "key lost", "--cluster", CLUSTER, "--issued-at",
        ISSUED_AT, "--out", key("revocation.bin"))
    auth_id = run(mb, "id", "--key", key("auth.key")).decode().split()[0]
    examples["revocation"] = example_text(
        mb, key("revocation.bin"),
        "Revocation of the target by the authority (`meshbeat cert revoke`)",
        ["--authority", auth_id])
    # The bridge's records: node1's cursor (about itself), and the
    # authority's instruction to drain the target.
    run(mb, "wire", "sample", "cursor", "--key", key("node.key"), "--cluster",
        CLUSTER, "--target", target, "--out", key("cursor.bin"), *FIELDS)
    examples["cursor"] = example_text(
        mb, key("cursor.bin"),
        "Bridge cursor of node1 (`meshbeat wire sample cursor`)")
    run(mb, "wire", "sample", "instruction", "--key", key("auth.key"),
        "--cluster", CLUSTER, "--target", target, "--op", "drain",
        "--instruction-id", "ins-1", "--out", key("instruction.bin"),
        *FIELDS)
    examples["instruction"] = example_text(
        mb, key("instruction.bin"),
        "Instruction to drain the target, by the authority "
        "(`meshbeat wire sample instruction`)", ["--authority", auth_id])
    # The RAID coordinators' publication records, by node1 as the leader.
    for kind, what in (("raid-array", "Array eu-archive, degraded"),
                       ("raid-task", "Task 17, rebuilding slot 1"),
                       ("raid-leader", "Leader record")):
        out = key(f"{kind}.bin")
        run(mb, "wire", "sample", kind, "--key", key("node.key"),
            "--cluster", CLUSTER, "--target", target, "--out", out, *FIELDS)
        check_raid_record(open(out, "rb").read(), kind)
        examples[kind] = example_text(
            mb, out, f"{what}, by the Raft leader (`meshbeat wire sample "
            f"{kind}`)")
    return examples


RAID_KEYS = {"raid-array": (23, set(range(1, 10))),
             "raid-task": (24, set(range(1, 12))),
             "raid-leader": (25, set(range(1, 7)))}


def check_raid_record(raw, kind):
    """Checks a RAID record without meshbeat: its kind, that its body has
    exactly the keys of its kind, that the version is the body's index,
    and that the subject is what the body names (an array's: BLAKE2b-256
    of "meshbeat-raid-array\\0" and its name; a task's: its id, 8 bytes
    big-endian; the leader's: 0x00)."""
    envelope = cbor2.loads(raw)
    payload = cbor2.loads(envelope.value[2])
    body = cbor2.loads(payload[5])
    number, keys = RAID_KEYS[kind]
    if payload[0] != number or set(body) != keys or payload[2] != body[2]:
        raise SystemExit(f"{kind}: not the record asked for: {payload}")
    if kind == "raid-array":
        want = hashlib.blake2b(b"meshbeat-raid-array\0" +
                               body[3].encode(), digest_size=32).digest()
    elif kind == "raid-task":
        want = body[3].to_bytes(8, "big")
    else:
        want = b"\0"
    if payload[1] != want:
        raise SystemExit(f"{kind}: subject {payload[1].hex()} is not "
                         f"{want.hex()}")


def substitute(doc, examples):
    def repl(m):
        name = m.group(1)
        if name not in examples:
            raise SystemExit(f"unknown example marker {name}")
        return f"<!-- example:{name} -->\n{examples[name]}<!-- /example -->"
    return re.sub(r"<!-- example:([a-z-]+) -->.*?<!-- /example -->", repl,
                  doc, flags=re.S)


def main():
    args = sys.argv[1:]
    check = args[:1] == ["--check"]
    if check:
        args = args[1:]
    mb, doc_path = os.path.abspath(args[0]), args[1]
    with tempfile.TemporaryDirectory() as tmp:
        examples = make_examples(mb, tmp)
    doc = open(doc_path).read()
    new = substitute(doc, examples)
    missing = set(examples) - set(re.findall(r"<!-- example:([a-z-]+) -->",
                                             doc))
    if missing:
        raise SystemExit(f"{doc_path} lacks markers for {sorted(missing)}")
    if check:
        if new != doc:
            print(f"{doc_path} is out of date; run `make docs`",
                  file=sys.stderr)
            return 1
        print(f"{doc_path}: {len(examples)} examples match the code")
        return 0
    open(doc_path, "w").write(new)
    print(f"{doc_path}: wrote {len(examples)} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
