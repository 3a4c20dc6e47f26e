#!/usr/bin/env python3
"""The bodies the bridge posts, validated against the JSON Schemas in
docs/ (python3-jsonschema), plus the field semantics a schema cannot say:
the Flynas body is exactly seed 000's five keys, the online event names
the offline it ends, the bridge is the member the election chose.  Each
schema must also reject a damaged body, so a schema that accepts anything
cannot pass.

Usage: test_bodies_schema.py BRIDGE_TOOL DOCS_DIR
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

TOOL, DOCS = sys.argv[1], sys.argv[2]


def schema(name):
    with open(os.path.join(DOCS, name)) as f:
        s = json.load(f)
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


def must_reject(validator, body, what):
    if validator.is_valid(body):
        raise AssertionError(f"schema accepts a body with {what}")


def check_view(v, body):
    v.validate(body)
    statuses = sorted(m["status"] for m in body["members"])
    assert statuses == ["left", "offline", "online", "online", "suspect"], statuses
    assert body["bridge"]["viewSize"] == 5 and body["bridge"]["live"] == 3
    ids = {m["id"]: m for m in body["members"]}
    assert body["bridge"]["id"] in ids
    assert ids[body["bridge"]["id"]]["status"] in ("online", "suspect")
    assert any(m["lastSeen"] is None for m in body["members"])
    assert any(m["health"] is None for m in body["members"])
    bad = copy.deepcopy(body)
    bad["members"][0]["status"] = "alive"
    must_reject(v, bad, "a status outside online/suspect/offline/left")
    bad = copy.deepcopy(body)
    bad["members"][0]["lastSeen"] = "2025-12-02 10:30:00"
    must_reject(v, bad, "a lastSeen that is not RFC 3339")
    bad = copy.deepcopy(body)
    del bad["bridge"]["viewSize"]
    must_reject(v, bad, "no view size")
    bad = copy.deepcopy(body)
    bad["members"][0]["capacity"] = -1
    must_reject(v, bad, "a negative capacity")
    [array], [task] = body["arrays"], body["tasks"]
    assert (array["name"], array["state"], len(array["slots"])) == \
        ("photos", "rebuilding", 3), array
    assert [s["name"] for s in array["slots"]] == \
        ["device-0", "device-1", None], array
    assert (task["array"], task["kind"], task["targetName"],
            task["progress"] * 4) == ("photos", "rebuild", "device-4",
                                      task["bytes"]), task
    assert task["target"] in ids and task["sources"][0] in ids, task
    bad = copy.deepcopy(body)
    bad["arrays"][0]["state"] = "broken"
    must_reject(v, bad, "an array state outside the four")
    bad = copy.deepcopy(body)
    del bad["tasks"][0]["progress"]
    must_reject(v, bad, "a task without progress")


def check_flynas(v, bodies):
    for b in bodies:
        v.validate(b)
        assert list(b) == ["deviceId", "status", "capacity", "available",
                           "lastSeen"], list(b)
    assert bodies[0]["deviceId"] == "device-0"
    assert all(b["deviceId"] is None for b in bodies[1:])
    assert [b["status"] for b in bodies] == \
        ["online", "online", "offline", "offline", "online"]
    assert bodies[0]["lastSeen"] == "2025-12-02T10:30:00.000Z"
    assert bodies[1]["lastSeen"] == "2025-12-02T10:30:01.001Z"
    bad = dict(bodies[0], extra=1)
    must_reject(v, bad, "a sixth key")
    bad = dict(bodies[0], status="suspect")
    must_reject(v, bad, "a status Flynas does not know")


def check_events(v, off, on):
    v.validate(off)
    v.validate(on)
    assert off["type"] == "machine.offline" and on["type"] == "machine.online"
    assert on["data"]["ends"] == off["id"]
    assert on["data"]["machine"]["id"] == off["data"]["machine"]["id"]
    assert on["data"]["incarnation"] == off["data"]["incarnation"]
    assert "ends" not in off["data"]
    bad = copy.deepcopy(on)
    del bad["data"]["ends"]
    must_reject(v, bad, "an online that ends no offline")
    bad = copy.deepcopy(off)
    bad["id"] = "123"
    must_reject(v, bad, "an id that is not evt_<32 hex>")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([TOOL, "bodies", tmp], check=True)

        def load(name):
            with open(os.path.join(tmp, name)) as f:
                return json.load(f)

        check_view(schema("bridge-view.schema.json"), load("view.json"))
        flynas = [load(os.path.basename(p))
                  for p in sorted(glob.glob(os.path.join(tmp, "flynas-*.json")))]
        assert len(flynas) == 5
        check_flynas(schema("bridge-flynas.schema.json"), flynas)
        check_events(schema("bridge-event.schema.json"), load("event-0.json"),
                     load("event-1.json"))
    print("bodies match docs/bridge-*.schema.json")
    return 0


sys.exit(main())
