// The dashboard: asks the agent for /ui/api/state and /ui/api/events once
// a second and updates the page in place.  Everything the agent reports
// (names, domains, addresses, event texts) is set as textContent, never
// parsed as markup.
"use strict";

(function () {
  const POLL_MS = 1000;
  const EVENTS_KEPT = 200;
  const API = "/ui/api/";

  // Changes on every load of the page, never on an update: tests read it
  // to tell an update in place from a reload.
  window.__loadId = Date.now().toString(36) + Math.random().toString(36);

  let lastSeq = null; // the newest event shown; null: none asked for yet

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function setText(node, text) {
    const t = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== t) node.textContent = t;
  }

  function setAttr(node, name, value) {
    if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  }

  // 73 GiB as "73G", as `meshbeat members` prints sizes.
  function size(n) {
    if (typeof n !== "number") return "";
    const units = ["B", "K", "M", "G", "T", "P", "E"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    const whole = n >= 10 || i === 0 || Number.isInteger(n);
    return (whole ? Math.round(n) : n.toFixed(1)) + units[i];
  }

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour12: false });
  }

  function ago(iso) {
    const s = Math.round((Date.now() - new Date(iso)) / 1000);
    if (!(s >= 0)) return "";
    if (s < 90) return s + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    if (s < 129600) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  // A coloured state label; data-state carries the word for CSS and tests.
  function stateLabel(state) {
    const s = el("span", "state", state);
    s.dataset.state = state;
    return s;
  }

  function updateStateLabel(cell, state) {
    let s = cell.firstElementChild;
    if (!s) {
      s = stateLabel(state);
      cell.appendChild(s);
    }
    setText(s, state);
    setAttr(s, "data-state", state);
  }

  // Rows of tbody keyed by key(item), made by make(item) once and filled
  // by fill(tr, item) on every update; rows of gone items are removed and
  // the order follows items.
  function syncRows(tbody, items, key, make, fill) {
    const old = new Map();
    for (const tr of tbody.rows) old.set(tr.dataset.key, tr);
    let prev = null;
    for (const item of items) {
      const k = String(key(item));
      let tr = old.get(k);
      if (tr) old.delete(k);
      else {
        tr = make(item);
        tr.dataset.key = k;
      }
      fill(tr, item);
      const want = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== tr) tbody.insertBefore(tr, want);
      prev = tr;
    }
    for (const tr of old.values()) tr.remove();
  }

  // A table without rows says so in its caption-like placeholder row.
  function emptyNote(table, text) {
    const tbody = table.tBodies[0];
    let note = table.tFoot;
    if (!note) {
      note = table.createTFoot();
      const td = el("td", "quiet");
      td.colSpan = table.tHead.rows[0].cells.length;
      note.insertRow().appendChild(td);
    }
    note.hidden = tbody.rows.length > 0;
    setText(note.rows[0].cells[0], text);
  }

  function cells(n) {
    const tr = el("tr");
    for (let i = 0; i < n; i++) tr.appendChild(el("td"));
    return tr;
  }

  function fillMember(tr, m) {
    const c = tr.cells;
    setAttr(tr, "data-name", m.name);
    setAttr(tr, "data-state", m.state);
    setText(c[0].firstChild || c[0].appendChild(el("span")), m.name);
    if (m.self && c[0].childNodes.length < 2)
      c[0].appendChild(el("span", "self", "this agent"));
    updateStateLabel(c[1], m.state);
    setText(c[2], m.domain);
    setText(c[3], m.addr);
    setText(c[4], size(m.capacity));
    setText(c[5], size(m.available));
    setText(c[6], m.incarnation);
    setText(c[7], clock(m.since) + "  (" + ago(m.since) + ")");
    c[7].title = m.since + (m.reason ? ", " + m.reason : "");
  }

  function makeMember() {
    const tr = cells(8);
    for (const i of [4, 5, 6]) tr.cells[i].className = "num";
    return tr;
  }

  function showMembers(members) {
    members.sort((a, b) => a.name.localeCompare(b.name));
    syncRows($("members").tBodies[0], members, (m) => m.id, makeMember,
             fillMember);
    const n = { alive: 0, suspect: 0, dead: 0, left: 0 };
    for (const m of members) if (m.state in n) n[m.state]++;
    setText($("member-counts"), Object.keys(n).map((k) => n[k] + " " + k)
                                       .join(", "));
  }

  function arrayCard(a) {
    const card = el("div", "array");
    card.dataset.name = a.name;
    card.dataset.state = a.state;
    const h = el("h3", null, a.name + " ");
    h.appendChild(stateLabel(a.state));
    h.appendChild(el("span", "quiet", a.level + " " + a.data + "+" +
                                      a.parity + ", " + size(a.size)));
    card.appendChild(h);
    const slots = el("ul", "slots");
    for (const s of a.slots) {
      const li = el("li", "slot",
                    s.slot + ": " + (s.device || "(none)") + " · " + s.domain +
                    " · " + s.state);
      li.dataset.state = s.state;
      li.dataset.device = s.device || "";
      slots.appendChild(li);
    }
    card.appendChild(slots);
    return card;
  }

  function fillTask(tr, t) {
    const c = tr.cells;
    setAttr(tr, "data-state", t.state);
    setText(c[0], t.id);
    setText(c[1], t.array);
    setText(c[2], t.slot);
    setText(c[3], t.kind);
    setText(c[4], t.target);
    updateStateLabel(c[5], t.state);
    const bar = c[6].firstChild || c[6].appendChild(el("progress"));
    const label = c[6].childNodes[1] || c[6].appendChild(el("span"));
    bar.max = Math.max(t.bytes, 1);
    bar.value = Math.min(t.progress, bar.max);
    setText(label, " " + Math.floor((100 * t.progress) / Math.max(t.bytes, 1)) +
                   "%");
  }

  function makeTask() {
    const tr = cells(7);
    tr.cells[0].className = tr.cells[2].className = "num";
    return tr;
  }

  function showRaid(raid) {
    $("raid-off").hidden = raid.enabled;
    const arrays = raid.enabled ? raid.arrays : [];
    $("arrays").replaceChildren(...arrays.map(arrayCard));
    syncRows($("tasks").tBodies[0], raid.enabled ? raid.tasks : [],
             (t) => t.id, makeTask, fillTask);
    emptyNote($("tasks"), "no reconstruction task");
  }

  function fillDestination(tr, d) {
    const c = tr.cells;
    setText(c[0], d.name);
    setText(c[1], d.outbox_depth);
    setText(c[2], d.parked);
    setText(c[3], d.oldest_age_s === null ? "" :
                  Math.round(d.oldest_age_s) + " s");
    setText(c[4], d.last_success ? clock(d.last_success) : "never");
    setText(c[5], d.last_error ? clock(d.last_error_at) + " " + d.last_error
                               : "");
  }

  function makeDestination() {
    const tr = cells(6);
    for (const i of [1, 2, 3]) tr.cells[i].className = "num";
    return tr;
  }

  function showBridge(b) {
    let text = "no bridge configured on this agent";
    if (b.enabled) {
      text = "active bridge: " + (b.active_name || "none elected") +
             (b.self_active ? " (this agent)" : "") + "; view " + b.view.live +
             "/" + b.view.total + " live";
    }
    setText($("bridge-summary"), text);
    $("outbox").hidden = !b.enabled;
    syncRows($("outbox").tBodies[0], b.enabled ? b.destinations : [],
             (d) => d.name, makeDestination, fillDestination);
  }

  function showAgent(a, time) {
    setText($("agent-name"), a.name);
    document.title = "meshbeat " + a.name;
    setText($("agent-info"), "cluster " + a.cluster + " · " + a.addr +
                             " · domain " + a.domain + " · version " +
                             a.version + " · up " + a.uptime_s + " s");
    setText($("status"), "updated " + clock(time));
    setAttr($("status"), "data-status", "ok");
  }

  function eventItem(e) {
    const li = el("li");
    li.dataset.seq = e.seq;
    li.dataset.name = e.name;
    li.dataset.to = e.to;
    const t = el("time", null, clock(e.time));
    t.dateTime = e.time;
    li.append(t, el("span", "who", e.name), e.from + " → ");
    li.appendChild(stateLabel(e.to));
    li.appendChild(el("span", "reason", e.reason + ", incarnation " +
                                        e.incarnation));
    return li;
  }

  function showEvents(events) {
    const list = $("events");
    for (const e of events) {
      list.insertBefore(eventItem(e), list.firstChild);
      lastSeq = Math.max(lastSeq || 0, e.seq);
    }
    while (list.children.length > EVENTS_KEPT) list.lastChild.remove();
  }

  async function get(path) {
    const r = await fetch(API + path, {
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  }

  async function poll() {
    const state = await get("state");
    showAgent(state.agent, state.time);
    showMembers(state.members);
    showRaid(state.raid);
    showBridge(state.bridge);
    // The first time the latest events; then those after the newest shown.
    const ev = await get(lastSeq === null ? "events" : "events?after=" +
                                                        lastSeq);
    if (lastSeq === null) lastSeq = 0;
    showEvents(ev.events);
  }

  async function loop() {
    try {
      await poll();
    } catch (err) {
      setText($("status"), "cannot reach the agent (" + err.message +
                           "); trying again");
      setAttr($("status"), "data-status", "error");
    }
    setTimeout(loop, POLL_MS);
  }

  loop();
})();
