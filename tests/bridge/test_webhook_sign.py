#!/usr/bin/env python3
"""Standard Webhooks signatures made by the bridge, judged by Python's own
hmac and base64 written from the spec (standardwebhooks.com): the signed
content is "<id>.<timestamp>.<body>", the key is the base64 after whsec_,
the header is "v1,<base64>" per secret, space-separated.

Usage: test_webhook_sign.py BRIDGE_TOOL
"""
import base64
import hashlib
import hmac
import os
import random
import subprocess
import sys
import tempfile

TOOL = sys.argv[1]
rng = random.Random(20261206)


def expected(keys, msg_id, ts, body):
    signed = msg_id.encode() + b"." + str(ts).encode() + b"." + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode()
        for k in keys)


def run_sign(tmp, secrets_text, msg_id, ts, body):
    sp, bp = os.path.join(tmp, "secrets"), os.path.join(tmp, "body")
    with open(sp, "w") as f:
        f.write(secrets_text)
    with open(bp, "wb") as f:
        f.write(body)
    return subprocess.run([TOOL, "sign", sp, msg_id, str(ts), bp],
                          capture_output=True, text=True)


def whsec(key, pad=True):
    b = base64.b64encode(key).decode()
    return "whsec_" + (b if pad else b.rstrip("="))


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in range(60):
            n = 1 + case % 3  # rotation: up to three secrets in force
            keys = [rng.randbytes(rng.choice([24, 32, 33, 64])) for _ in range(n)]
            msg_id = "evt_%032x" % rng.getrandbits(128)
            ts = rng.randrange(0, 4102444800)
            body = rng.randbytes(rng.randrange(0, 3000)) if case % 4 else \
                b'{"type":"machine.offline","data":{}}'
            sep = rng.choice([" ", "\n", "\t", "  \n"])
            text = sep.join(whsec(k, pad=case % 5 != 0) for k in keys) + "\n"
            r = run_sign(tmp, text, msg_id, ts, body)
            want = expected(keys, msg_id, ts, body)
            if r.returncode != 0 or r.stdout.strip("\n") != want:
                print(f"case {case}: got {r.stdout!r} (rc {r.returncode}, "
                      f"{r.stderr.strip()}), want {want!r}")
                failures += 1
        # What a receiver would reject must be refused before anything is
        # signed: a secret of the wrong size, prefix or alphabet.
        bad = ["", "\n", "whsec_", "wh_" + whsec(bytes(32))[6:],
               whsec(bytes(16)), whsec(bytes(65)), whsec(bytes(32)) + "!",
               whsec(bytes(32)) + " nonsense", "whsec_@@@@"]
        for text in bad:
            r = run_sign(tmp, text, "evt_x", 1, b"{}")
            if r.returncode != 2:
                print(f"secret {text!r} was not refused: rc {r.returncode} "
                      f"{r.stdout!r}")
                failures += 1
    if failures:
        print(f"{failures} failures")
        return 1
    print("webhook signatures match the independent HMAC")
    return 0


sys.exit(main())
