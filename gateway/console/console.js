// Loa operator console: a client of the gateway's control API and its event stream.
// No framework, no build step: the browser loads these files from the gateway and nothing else.
"use strict";

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, "");
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
};

const S = {
  token: sessionStorage.getItem("loa.token") || "",
  lang: localStorage.getItem("loa.lang") || ((navigator.language || "").toLowerCase().startsWith("vi") ? "vi" : "en"),
  me: null,
  status: null,
  stations: [],
  shown: [],
  emergencies: [],
  history: [],
  schedule: [],
  segments: [],
  tab: "overview",
  treeView: false,
  targets: { areas: new Set(), groups: new Set() },
  ws: null,
  wsRetry: 1000,
  timers: [],
};

// ---- Words --------------------------------------------------------------------------------
function t(key, vars = {}) {
  const text = (WORDS[S.lang] && WORDS[S.lang][key]) || WORDS.en[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ""));
}
/// The words for a value the API gives (a source on air, an audit action): the value itself
/// when there are none (a schedule entry's id, an action added later).
function word(prefix, value) {
  const key = prefix + value;
  return (WORDS[S.lang] && WORDS[S.lang][key]) || WORDS.en[key] || value;
}
/// An audit entry's detail as "key: value" pairs rather than raw JSON.
function detailText(d) {
  if (d === null || d === undefined) return "";
  if (typeof d !== "object") return String(d);
  return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("; ");
}
function applyWords() {
  document.documentElement.lang = S.lang;
  $("language").value = S.lang;
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  $("confirm-phrase").textContent = t("alert.phrase");
  if (S.me) renderAll();
}

// ---- The API ------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
async function api(method, path, body, contentType = "application/json") {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: Object.assign({ Authorization: "Bearer " + S.token }, body != null ? { "Content-Type": contentType } : {}),
      body: body == null ? undefined : (contentType === "application/json" ? JSON.stringify(body) : body),
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, t("error.network"));
  }
  const text = await response.text();
  let data = text;
  if ((response.headers.get("content-type") || "").includes("json")) {
    try { data = JSON.parse(text); } catch (e) { /* left as text */ }
  }
  if (!response.ok) throw new ApiError(response.status, (data && data.error) || text || String(response.status));
  return data;
}

// ---- Signing in and out -------------------------------------------------------------------
async function signIn(token) {
  S.token = token;
  try {
    S.me = await api("GET", "/api/whoami");
  } catch (e) {
    S.me = null;
    S.token = "";
    sessionStorage.removeItem("loa.token");
    $("login-error").textContent = t("login.refused", { why: e.message });
    return;
  }
  sessionStorage.setItem("loa.token", token);
  $("login").hidden = true;
  $("tabs").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = t("who", { name: S.me.name, role: S.me.role });
  const mayAlert = S.me.role === "emergency" || S.me.role === "admin";
  const mayEdit = S.me.role === "operator" || S.me.role === "admin";
  $("alert-form").hidden = !mayAlert;
  $("entry-form").hidden = !mayEdit;
  $("upload-form").hidden = !mayEdit;
  // Say why a form is missing, rather than leave the page to look broken.
  $("alert-why").hidden = mayAlert;
  $("alert-why").textContent = t("role.noAlert", { role: S.me.role });
  $("schedule-why").hidden = mayEdit;
  $("schedule-why").textContent = t("role.noSchedule", { role: S.me.role });
  showTab(location.hash.slice(1) || "overview");
  await refreshAll();
  connectEvents();
  S.timers.push(setInterval(refreshStations, 3000));
  S.timers.push(setInterval(refreshStatus, 2000));
}
function signOut() {
  sessionStorage.removeItem("loa.token");
  S.timers.forEach(clearInterval);
  S.timers = [];
  if (S.ws) { S.ws.onclose = null; S.ws.close(); }
  location.hash = "";
  location.reload();
}

// ---- The event stream ---------------------------------------------------------------------
function connectEvents() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/events?token=" +
    encodeURIComponent(S.token);
  const ws = new WebSocket(url);
  S.ws = ws;
  ws.onopen = () => { S.wsRetry = 1000; setConnection(true); refreshAll(); };
  ws.onmessage = (m) => {
    for (const line of String(m.data).split("\n")) {
      if (!line.trim()) continue;
      try { onEvent(JSON.parse(line)); } catch (e) { /* one bad line spoils nothing */ }
    }
  };
  ws.onclose = () => {
    setConnection(false);
    setTimeout(connectEvents, S.wsRetry);
    S.wsRetry = Math.min(S.wsRetry * 2, 15000);
  };
}
function setConnection(live) {
  const c = $("connection");
  c.textContent = t(live ? "connection.live" : "connection.lost");
  c.className = "pill " + (live ? "live" : "lost");
}
function onEvent(e) {
  if (e.type === "levels") return updateMeters(e.programmes || []);
  if (e.type === "station") {
    const s = S.stations.find((x) => x.id === e.id);
    if (s && (e.event === "online" || e.event === "offline")) {
      s.online = e.event === "online";
      if (s.online) s.last_seen_ms = Date.now();
      s.status_since_ms = Date.now();
      renderStations();
      renderCounts();
    } else {
      refreshStations();
    }
    return;
  }
  if (e.type === "emergency") { refreshEmergencies(); refreshStatus(); refreshAudit(); return; }
  if (e.type === "schedule" || e.type === "change") { refreshSchedule(); refreshAudit(); return; }
  refreshStatus();
}

// ---- Loading ------------------------------------------------------------------------------
async function refreshAll() {
  await Promise.allSettled([refreshStatus(), refreshStations(), refreshEmergencies(), refreshSchedule(),
    refreshSegments(), refreshAudit()]);
}
async function refreshStatus() {
  try { S.status = await api("GET", "/api/status"); } catch (e) { return; }
  $("gateway-id").textContent = S.status.gateway;
  renderOverview();
  renderHealth();
  fillAlertChoices();
}
async function refreshStations() {
  try { S.stations = await api("GET", "/api/stations"); } catch (e) { return; }
  fillGroupFilter();
  renderStations();
  renderCounts();
  renderTargets();
}
async function refreshEmergencies() {
  try {
    [S.emergencies, S.history] = await Promise.all([api("GET", "/api/emergencies"), api("GET", "/api/emergencies?all=1")]);
  } catch (e) { return; }
  renderEmergencies();
  renderCounts();
}
async function refreshSchedule() {
  try { S.schedule = await api("GET", "/api/schedule"); } catch (e) { return; }
  renderWeek();
}
async function refreshSegments() {
  try { S.segments = await api("GET", "/api/segments"); } catch (e) { return; }
  fillSegmentChoice();
}
async function refreshAudit() {
  let rows;
  try { rows = await api("GET", "/api/audit?limit=200"); } catch (e) { return; }
  const body = $("audit-rows");
  body.replaceChildren(...rows.map((r) => el("tr", { class: "outcome-" + r.outcome },
    el("td", { text: new Date(r.time_ms).toLocaleString(S.lang) }),
    el("td", { text: r.actor + (r.role && r.role !== "-" ? " (" + r.role + ")" : "") }),
    el("td", { text: word("action.", r.action), title: r.action }),
    el("td", { text: r.subject }),
    el("td", { text: word("outcome.", r.outcome) }),
    el("td", { text: detailText(r.detail) }))));
}
async function refreshMetrics() {
  try { $("metrics").textContent = await api("GET", "/metrics"); } catch (e) { /* shown next time */ }
}

// ---- Tabs ---------------------------------------------------------------------------------
const TABS = ["overview", "stations", "emergency", "schedule", "audit", "health"];
function showTab(name) {
  if (!TABS.includes(name)) name = "overview";
  S.tab = name;
  for (const tab of TABS) {
    const button = $("tab-" + tab);
    const selected = tab === name;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(tab).hidden = !selected;
  }
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
  if (name === "stations") renderStations();
  if (name === "health") refreshMetrics();
  if (name === "audit") refreshAudit();
}

// ---- Overview -----------------------------------------------------------------------------
function levelBadge(level) {
  return el("span", { class: "level " + level, text: t("level." + level) });
}
function renderOverview() {
  const box = $("programmes");
  const programmes = (S.status && S.status.programmes) || [];
  box.replaceChildren(...programmes.map((p) => el("div", { class: "card programme", "data-programme": p.id },
    el("h3", { text: p.name || p.id }),
    el("div", {}, el("strong", { class: "on-air", text: p.on_air ? word("source.", p.on_air) : "–" }), " ", levelBadge(p.level)),
    el("div", { class: "muted since", text: p.since_ms ? t("overview.since", { time: new Date(p.since_ms).toLocaleTimeString(S.lang) }) : "" }),
    el("div", { class: "meter", role: "meter", "aria-label": t("overview.meter", { programme: p.id }), "aria-valuemin": "-60",
      "aria-valuemax": "0", "aria-valuenow": String(p.meter_dbfs ?? -120) }, el("span")))));
  updateMeters(programmes);
  renderCounts();
}
function updateMeters(programmes) {
  for (const p of programmes) {
    const card = document.querySelector(`[data-programme="${CSS.escape(p.id)}"]`);
    if (!card) continue;
    const db = Math.max(-60, Math.min(0, p.meter_dbfs ?? -120));
    const meter = card.querySelector(".meter");
    meter.setAttribute("aria-valuenow", String(Math.round(db)));
    meter.firstChild.style.width = (100 - (db + 60) / 60 * 100).toFixed(1) + "%";  // the cover over the unlit part
    if (p.on_air !== undefined) card.querySelector(".on-air").textContent = p.on_air ? word("source.", p.on_air) : "–";
    if (p.level) card.querySelector(".level").replaceWith(levelBadge(p.level));
    if (p.since_ms) card.querySelector(".since").textContent = t("overview.since", { time: new Date(p.since_ms).toLocaleTimeString(S.lang) });
  }
}
function renderCounts() {
  const online = S.stations.filter((s) => s.online).length;
  $("count-online").textContent = String(online);
  $("count-offline").textContent = String(S.stations.length - online);
  $("count-offline").classList.toggle("bad", S.stations.length - online > 0);
  $("count-emergencies").textContent = String(S.emergencies.filter((e) => e.state === "active").length);
  const box = $("overview-emergencies");
  const live = S.emergencies.filter((e) => e.state === "active" || e.state === "pending");
  box.replaceChildren(...(live.length ? live.map(alertCard) : [el("p", { class: "muted", text: t("overview.none") })]));
}

// ---- Stations -----------------------------------------------------------------------------
const ROW = 34;
function stationState(s) {
  if (s.online) return "online";
  return s.reports ? "offline" : "never";
}
function lossPercent(s) { return (s.fraction_lost || 0) * 100; }
function ago(ms) {
  if (!ms) return "–";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 120) return t("ago.s", { n: s });
  if (s < 7200) return t("ago.m", { n: Math.round(s / 60) });
  return t("ago.h", { n: Math.round(s / 3600) });
}
function inArea(area, prefix) {
  return !prefix || area === prefix || (area || "").startsWith(prefix.endsWith("/") ? prefix : prefix + "/");
}
function filterStations() {
  const area = $("filter-area").value.trim();
  const group = $("filter-group").value;
  const status = $("filter-status").value;
  const sort = $("sort").value;
  const list = S.stations.filter((s) => inArea(s.area, area) && (!group || (s.groups || []).includes(group)) &&
    (!status || (status === "online" ? s.online : !s.online)));
  const by = {
    id: (a, b) => a.id.localeCompare(b.id),
    loss: (a, b) => lossPercent(b) - lossPercent(a) || a.id.localeCompare(b.id),
    seen: (a, b) => (b.last_seen_ms || 0) - (a.last_seen_ms || 0) || a.id.localeCompare(b.id),
  }[sort];
  list.sort(by);
  return list;
}
function renderStations() {
  S.shown = filterStations();
  $("station-count").textContent = t("stations.count", { shown: S.shown.length, total: S.stations.length });
  $("view-toggle").textContent = t(S.treeView ? "stations.table" : "stations.tree");
  $("station-table").hidden = S.treeView;
  $("station-tree").hidden = !S.treeView;
  if (S.treeView) renderTree($("station-tree"), S.shown, false);
  else renderRows();
}
// Only the rows in view are in the document: thousands of stations stay fast.
function renderRows() {
  const scroller = $("station-table");
  const first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - 10);
  const count = Math.ceil((scroller.clientHeight || 600) / ROW) + 20;
  const slice = S.shown.slice(first, first + count);
  const pad = (rows) => {
    const row = el("tr", { "aria-hidden": "true" });
    row.style.height = rows * ROW + "px";  // through the CSSOM: the page's CSP allows no inline styles
    return row;
  };
  const rows = slice.map((s) => {
    const state = stationState(s);
    const hears = s.level === "emergency" ? word("source.", "emergency") + (s.emergency ? " " + s.emergency : "") : (s.on_air ? word("source.", s.on_air) : "");
    return el("tr", { class: "station " + (state === "online" ? "online" : "offline"), "data-station": s.id },
      el("th", { scope: "row", text: s.name && s.name !== s.id ? `${s.id} · ${s.name}` : s.id }),
      el("td", { text: s.area || "" }),
      el("td", { class: "status " + state, text: t("status." + state) }),
      el("td", { text: s.learned_address || s.address || "" }),
      el("td", { class: "num", text: s.reports ? lossPercent(s).toFixed(1) + " %" : "–" }),
      el("td", { class: "num", text: s.reports ? (s.jitter_ms || 0).toFixed(1) + " ms" : "–" }),
      el("td", { text: s.programme }),
      el("td", { text: hears }),
      el("td", { text: ago(s.last_seen_ms) }),
      el("td", { text: ago(s.status_since_ms) }));
  });
  $("station-rows").replaceChildren(pad(first), ...rows, pad(Math.max(0, S.shown.length - first - slice.length)));
}
// Province / district / commune, with roll-up counts; with `pick`, checkboxes choose areas.
function areaTree(stations) {
  const root = { children: new Map(), total: 0, online: 0, stations: [] };
  for (const s of stations) {
    const parts = (s.area || "").split("/").filter(Boolean);
    let node = root;
    node.total++; node.online += s.online ? 1 : 0;
    let path = "";
    for (const part of parts) {
      path = path ? path + "/" + part : part;
      if (!node.children.has(part)) node.children.set(part, { path, children: new Map(), total: 0, online: 0, stations: [] });
      node = node.children.get(part);
      node.total++; node.online += s.online ? 1 : 0;
    }
    node.stations.push(s);
  }
  return root;
}
function renderTree(box, stations, pick) {
  const build = (node, depth) => [...node.children.values()].sort((a, b) => a.path.localeCompare(b.path)).map((child) => {
    const offline = child.total - child.online;
    const label = el("span", {}, child.path.split("/").pop(), " ",
      el("span", { class: "muted", text: t("stations.rollup", { online: child.online, total: child.total }) }),
      offline ? el("span", { class: "bad", text: " ●" + offline }) : null);
    const summary = el("summary", {}, pick ? el("input", {
      type: "checkbox", "data-area": child.path, "aria-label": child.path, checked: S.targets.areas.has(child.path),
      onclick: (ev) => ev.stopPropagation(),
      onchange: (ev) => { ev.target.checked ? S.targets.areas.add(child.path) : S.targets.areas.delete(child.path); updateAlertForm(); },
    }) : null, " ", label);
    const leaves = pick ? [] : child.stations.map((s) => el("div", { class: s.online ? "" : "bad", text: `${s.id} — ${t("status." + stationState(s))}` }));
    return el("details", { open: depth < 1 }, summary, ...build(child, depth + 1), ...leaves);
  });
  box.replaceChildren(...build(areaTree(stations), 0));
}
function fillGroupFilter() {
  const groups = [...new Set(S.stations.flatMap((s) => s.groups || []))].sort();
  const select = $("filter-group");
  const value = select.value;
  select.replaceChildren(el("option", { value: "", text: t("stations.any") }), ...groups.map((g) => el("option", { value: g, text: g })));
  select.value = groups.includes(value) ? value : "";
}

// ---- Emergency ----------------------------------------------------------------------------
function alertKind() { return document.querySelector('input[name="status"]:checked').value; }
function targetedStations() {
  const kind = alertKind();
  const all = $("target-all").checked;
  return S.stations.filter((s) => (kind !== "test" || s.accepts_tests) && (all ||
    [...S.targets.areas].some((a) => inArea(s.area, a)) || (s.groups || []).some((g) => S.targets.groups.has(g))));
}
function renderTargets() {
  const groups = [...new Set(S.stations.flatMap((s) => s.groups || []))].sort();
  $("target-groups").replaceChildren(...groups.map((g) => el("label", {}, el("input", {
    type: "checkbox", "data-group": g, checked: S.targets.groups.has(g),
    onchange: (ev) => { ev.target.checked ? S.targets.groups.add(g) : S.targets.groups.delete(g); updateAlertForm(); },
  }), " ", g)));
  renderTree($("target-tree"), S.stations, true);
  updateAlertForm();
}
function fillAlertChoices() {
  const messages = (S.status && S.status.emergency_messages) || [];
  const m = $("audio-message"), mv = m.value;
  m.replaceChildren(el("option", { value: "", text: t("alert.noMessage") }), ...messages.map((x) => el("option", { value: x, text: x })));
  m.value = messages.includes(mv) ? mv : "";
  const live = ((S.status && S.status.programmes) || []).filter((p) => p.has_live).map((p) => p.id);
  const l = $("audio-live"), lv = l.value;
  l.replaceChildren(el("option", { value: "", text: t("alert.noLive") }), ...live.map((x) => el("option", { value: x, text: x })));
  l.value = live.includes(lv) ? lv : "";
}
function updateAlertForm() {
  const kind = alertKind();
  const form = $("alert-form");
  form.className = "card " + kind;
  const n = targetedStations().length;
  const chosen = $("target-all").checked || S.targets.areas.size || S.targets.groups.size;
  $("alert-summary").textContent = chosen ? t("alert.summary." + kind, { n }) : t("alert.summary.none");
  $("actual-confirm").hidden = kind !== "actual";
  const typed = $("confirm-text").value.trim().toUpperCase() === t("alert.phrase").toUpperCase();
  const send = $("send-alert");
  send.textContent = t("alert.send." + kind);
  send.disabled = !chosen || n === 0 || (kind === "actual" && !typed);
}
async function sendAlert(ev) {
  ev.preventDefault();
  updateAlertForm();
  if ($("send-alert").disabled) return;
  const kind = alertKind();
  const targets = $("target-all").checked ? { all: true } : {
    ...(S.targets.areas.size ? { areas: [...S.targets.areas] } : {}),
    ...(S.targets.groups.size ? { groups: [...S.targets.groups] } : {}),
  };
  const body = { status: kind, targets, tone: $("audio-tone").checked };
  if ($("audio-message").value) body.message = $("audio-message").value;
  if ($("audio-live").value) body.live = $("audio-live").value;
  $("alert-error").textContent = "";
  $("send-alert").disabled = true;
  try {
    await api("POST", "/api/emergencies", body);
    $("confirm-text").value = "";
    if (kind === "actual") document.querySelector('input[name="status"][value="test"]').checked = true;
  } catch (e) {
    $("alert-error").textContent = e.message;
  }
  updateAlertForm();
  refreshEmergencies();
  refreshStatus();
  refreshAudit();
}
function alertCard(e) {
  const live = e.state === "active" || e.state === "pending";
  const mayAct = S.me && (S.me.role === "emergency" || S.me.role === "admin");
  const mine = S.me && e.created_by === S.me.name;
  const act = (verb) => async () => {
    try { await api("POST", `/api/emergencies/${encodeURIComponent(e.id)}/${verb}`); }
    catch (err) { alert(err.message); }
    refreshEmergencies(); refreshStatus(); refreshAudit();
  };
  return el("div", { class: `alert ${e.status}${live ? "" : " ended"}`, "data-emergency": e.id, "data-state": e.state },
    el("div", {}, el("span", { class: "badge", text: t("kind." + e.status) }), " ",
      el("strong", { text: t("alert.state." + e.state) }), " · ", e.id, " · ",
      t("alert.stations", { n: (e.stations || []).length }), " · ", t("alert.by", { who: e.created_by }),
      e.confirmed_by ? " + " + e.confirmed_by : "",
      el("span", { class: "muted", text: " · " + new Date(e.created_ms).toLocaleTimeString(S.lang) })),
    e.state === "pending" ? el("p", { text: mine ? t("alert.pendingMine") : t("alert.pending", { who: e.created_by }) }) : null,
    e.relayed ? el("p", { class: "relayed", text: t("alert.relayed", { origin: e.origin }) }) : null,
    live && mayAct && !e.relayed ? el("div", { class: "row" },
      e.state === "pending" && !mine ? el("button", { type: "button", class: "confirm", onclick: act("confirm"), text: t("alert.confirm") }) : null,
      el("button", { type: "button", class: "cancel", onclick: act("cancel"), text: t("alert.cancel") })) : null);
}
function renderEmergencies() {
  const live = S.emergencies.filter((e) => e.state === "active" || e.state === "pending");
  $("emergency-list").replaceChildren(...(live.length ? live.map(alertCard) : [el("p", { class: "muted", text: t("alert.none") })]));
  const ended = S.history.filter((e) => e.state !== "active" && e.state !== "pending").slice(0, 10);
  $("emergency-history").replaceChildren(...ended.map(alertCard));
}

// ---- Schedule -----------------------------------------------------------------------------
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
function weekDates() {
  const now = new Date();
  const monday = new Date(now);
  monday.setDate(now.getDate() - ((now.getDay() + 6) % 7));
  // Local dates (toISOString is UTC: in Vietnam, before 07:00 it named yesterday).
  const local = (d) =>
      `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return DAYS.map((_, i) => {
      const d = new Date(monday);
      d.setDate(monday.getDate() + i);
      return local(d);
  });
}
function renderWeek() {
  const dates = weekDates();
  const programmes = ((S.status && S.status.programmes) || []).map((x) => x.id);
  const w = $("week-programme"), wv = w.value;
  w.replaceChildren(el("option", { value: "", text: t("stations.any") }), ...programmes.map((x) => el("option", { value: x, text: x })));
  w.value = programmes.includes(wv) ? wv : "";
  const zone = S.status && S.status.timezone;
  $('week-zone').textContent = zone ? t('schedule.zone').replace('{zone}', zone) : '';
  $('week').replaceChildren(...DAYS.map((day, i) => {
      const entries = S.schedule
                          .filter(
                              (e) => (!w.value || e.programme === w.value) &&
                                  (e.date ? e.date === dates[i] :
                                            !(e.days || []).length || e.days.includes(day)))  // no days: every day
                          .sort((a, b) => a.at.localeCompare(b.at));
      return el(
          "div", {class: "day"}, el("h3", {text: `${t("day." + day)} ${dates[i].slice(5)}`}),
          ...entries.map((e) => el("button", {
                             type: "button",
                             class: e.priority,
                             "data-entry": e.id,
                             onclick: () => editEntry(e),
                             text: `${e.at.slice(0, 5)} ${e.id} · ${e.programme}`
                         })));
  }));
  const p = $("entry-programme"), pv = p.value;
  p.replaceChildren(...programmes.map((x) => el("option", { value: x, text: x })));
  if (programmes.includes(pv)) p.value = pv;
  if (!$("entry-days").querySelector("input")) {
    $("entry-days").append(...DAYS.map((d) => el("label", { class: "inline" }, el("input", { type: "checkbox", value: d }), " ",
      el("span", { "data-t": "day." + d, text: t("day." + d) }))));
  }
}
function fillSegmentChoice(selected) {
  const s = $("entry-file"), value = selected || s.value;
  const files = S.segments.map((x) => x.path);
  if (value && !files.includes(value)) files.unshift(value);
  s.replaceChildren(...files.map((f) => el("option", { value: f, text: f.split("/").pop() })));
  if (value) s.value = value;
}
function editEntry(e) {
  $("entry-id").value = e.id;
  $("entry-id").readOnly = true;
  $("entry-programme").value = e.programme;
  $("entry-at").value = e.at;
  for (const box of $("entry-days").querySelectorAll("input")) box.checked = (e.days || []).includes(box.value) && !e.date;
  $("entry-date").value = e.date || "";
  $("entry-priority").value = e.priority;
  fillSegmentChoice((e.files || [])[0]);
  $("entry-remove").hidden = false;
  $("entry-error").textContent = "";
}
function newEntry() {
  $("entry-form").reset();
  $("entry-id").readOnly = false;
  $("entry-remove").hidden = true;
  $("entry-error").textContent = "";
}
async function saveEntry(ev) {
  ev.preventDefault();
  const id = $("entry-id").value.trim();
  const body = { id, programme: $("entry-programme").value, at: $("entry-at").value.length === 5 ? $("entry-at").value + ":00" : $("entry-at").value,
    priority: $("entry-priority").value, files: [$("entry-file").value] };
  const date = $("entry-date").value;
  if (date) body.date = date;
  else body.days = [...$("entry-days").querySelectorAll("input:checked")].map((x) => x.value);
  try {
    await api("POST", $("entry-id").readOnly ? `/api/schedule/${encodeURIComponent(id)}` : "/api/schedule", body);
    $("entry-error").textContent = t("schedule.saved");
    $("entry-id").readOnly = true;
    $("entry-remove").hidden = false;
  } catch (e) {
    $("entry-error").textContent = e.message;
  }
  refreshSchedule();
  refreshAudit();
}
async function removeEntry() {
  const id = $("entry-id").value.trim();
  try { await api("POST", `/api/schedule/${encodeURIComponent(id)}/remove`); newEntry(); }
  catch (e) { $("entry-error").textContent = e.message; }
  refreshSchedule();
  refreshAudit();
}
async function upload(ev) {
  ev.preventDefault();
  const file = $("upload-file").files[0];
  if (!file) return;
  $("upload-status").textContent = "…";
  try {
    const r = await api("POST", "/api/segments/" + encodeURIComponent(file.name), await file.arrayBuffer(), "application/octet-stream");
    $("upload-status").textContent = t("schedule.uploaded", { name: r.name });
    await refreshSegments();
    fillSegmentChoice(r.path);
  } catch (e) {
    $("upload-status").textContent = e.message;
  }
  refreshAudit();
}

// ---- Health -------------------------------------------------------------------------------
function renderHealth() {
  const s = S.status;
  if (!s) return;
  const up = s.uptime_s || 0;
  const rows = [
    ["health.uptime", `${Math.floor(up / 3600)} h ${Math.floor(up / 60) % 60} min`],
    ["health.cpu", `${s.cpu_percent} %`],
    ["health.rss", `${s.rss_mib} MiB`],
    ["health.pps", String(s.packets_per_second)],
    ["health.packets", String(s.packets)],
    ["health.errors", String(s.send_errors)],
    ["health.wouldBlock", String(s.would_block)],
    ["health.late", String(s.late_frames)],
    ["health.destinations", String(s.destinations)],
    ["health.refused", String(s.media_refused)],
    ["health.keys", (s.srtp_index_space_used * 100).toPrecision(2) + " %"],
  ];
  $("health-figures").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: t(k) }), el("dd", { "data-figure": k, text: v })]));
}

function renderAll() {
  renderOverview();
  renderStations();
  renderTargets();
  fillAlertChoices();
  renderEmergencies();
  renderWeek();
  renderHealth();
  $("who").textContent = S.me ? t("who", { name: S.me.name, role: S.me.role }) : "";
  if (S.ws) setConnection(S.ws.readyState === WebSocket.OPEN);
}

// ---- Wiring -------------------------------------------------------------------------------
function wire() {
  $("language").addEventListener("change", (ev) => { S.lang = ev.target.value; localStorage.setItem("loa.lang", S.lang); applyWords(); });
  $("login").addEventListener("submit", (ev) => { ev.preventDefault(); signIn($("token").value.trim()); });
  $("logout").addEventListener("click", signOut);
  for (const tab of TABS) $("tab-" + tab).addEventListener("click", () => showTab(tab));
  $("tabs").addEventListener("keydown", (ev) => {
    const i = TABS.indexOf(S.tab);
    const next = ev.key === "ArrowRight" ? TABS[(i + 1) % TABS.length] : ev.key === "ArrowLeft" ? TABS[(i + TABS.length - 1) % TABS.length] : null;
    if (next) { showTab(next); $("tab-" + next).focus(); ev.preventDefault(); }
  });
  for (const id of ["filter-area", "filter-group", "filter-status", "sort"]) $(id).addEventListener("input", renderStations);
  $("station-table").addEventListener("scroll", () => requestAnimationFrame(renderRows), { passive: true });
  $("view-toggle").addEventListener("click", () => { S.treeView = !S.treeView; renderStations(); });
  for (const r of document.querySelectorAll('input[name="status"]')) r.addEventListener("change", updateAlertForm);
  $("target-all").addEventListener("change", updateAlertForm);
  $("confirm-text").addEventListener("input", updateAlertForm);
  $("alert-form").addEventListener("submit", sendAlert);
  $("entry-form").addEventListener("submit", saveEntry);
  $("entry-remove").addEventListener("click", removeEntry);
  $("entry-new").addEventListener("click", newEntry);
  $("upload-form").addEventListener("submit", upload);
  $("week-programme").addEventListener("change", renderWeek);
  setInterval(() => { if (S.me && S.tab === "health") refreshMetrics(); }, 5000);
}

wire();
applyWords();
if (S.token) signIn(S.token);
