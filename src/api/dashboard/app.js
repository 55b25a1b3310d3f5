// The earshot dashboard: plain ES modules, no build step. Every piece of data is put on the page
// with textContent (through h() below), never as HTML: scraped text is untrusted.
import { defaultLanguage, strings } from "./i18n.js";

const state = { token: sessionStorage.getItem("earshot.token"), me: null, lang: defaultLanguage(), charts: [] };
const t = (key) => strings[state.lang][key] ?? strings.en[key] ?? key;

/** Creates an element; string and number children become text nodes, so they are never parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Only http(s) links are followed; anything else (javascript:, data:) is shown as nothing. */
function safeUrl(url) {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

class HttpError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${state.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) {
    // A session whose token was revoked goes back to the login page; a failed login stays on it.
    if (state.me) logout();
    throw new HttpError(401, await res.json().catch(() => null));
  }
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw new HttpError(res.status, data);
  return data;
}

function fmtDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

function stars(n) {
  return n ? h("span", { class: "stars", title: `${n}/5`, "aria-label": `${n}/5` }, "★".repeat(n) + "☆".repeat(5 - n)) : null;
}

function sourceIcon(source) {
  const letters = { appstore: "AS", googleplay: "GP", taptap: "TT", weibo: "微", discourse: "D", forum: "论", feedback: "FB" };
  return h("div", { class: `icon ${source}`, title: source }, letters[source] ?? source.slice(0, 2).toUpperCase());
}

function badge(value, cls = value) {
  return value ? h("span", { class: `badge ${cls}` }, value) : null;
}

function logout() {
  sessionStorage.removeItem("earshot.token");
  document.cookie = "earshot_token=; path=/admin/queues; max-age=0; samesite=strict";
  state.token = null;
  state.me = null;
  render();
}

// ---------------------------------------------------------------- login

function loginPage(message) {
  const input = h("input", { type: "password", id: "token", autocomplete: "off", placeholder: "es_…" });
  const error = h("p", { class: "error" }, message || "");
  const submit = async (e) => {
    e.preventDefault();
    state.token = input.value.trim();
    try {
      state.me = await api("GET", "/api/me");
      sessionStorage.setItem("earshot.token", state.token);
      if (state.me.role === "admin") document.cookie = `earshot_token=${encodeURIComponent(state.token)}; path=/admin/queues; samesite=strict`;
      location.hash = "#/mentions";
      render();
    } catch {
      state.token = null;
      error.textContent = t("badToken");
    }
  };
  return h("form", { class: "panel login", onsubmit: submit },
    h("h2", {}, "earshot"),
    h("label", { for: "token" }, t("tokenLabel")),
    input,
    h("button", { type: "submit", id: "login" }, t("login")),
    h("p", { class: "muted" }, t("loginHelp")),
    error,
  );
}

// ---------------------------------------------------------------- mentions

let lookups = null;
async function loadLookups() {
  lookups ??= Promise.all([api("GET", "/api/apps"), api("GET", "/api/sources")]).then(([apps, sources]) => ({ apps, sources }));
  return lookups;
}

function filterForm(onChange, { withText = true } = {}) {
  const form = h("form", { class: "panel" });
  const q = h("input", { name: "q", type: "search", placeholder: t("searchPlaceholder"), id: "q" });
  const app = h("select", { name: "app" }, h("option", { value: "" }, t("any")));
  const source = h("select", { name: "source" }, h("option", { value: "" }, t("any")));
  const sentiment = h("select", { name: "sentiment" }, h("option", { value: "" }, t("any")), ...["negative", "neutral", "positive"].map((s) => h("option", { value: s }, t(s))));
  const ratingMin = h("select", { name: "ratingMin" }, h("option", { value: "" }, "–"), ...[1, 2, 3, 4, 5].map((n) => h("option", { value: n }, "★".repeat(n))));
  const ratingMax = h("select", { name: "ratingMax" }, h("option", { value: "" }, "–"), ...[1, 2, 3, 4, 5].map((n) => h("option", { value: n }, "★".repeat(n))));
  void loadLookups().then(({ apps, sources }) => {
    for (const a of apps) app.append(h("option", { value: a.name }, a.name));
    for (const s of sources) source.append(h("option", { value: s.id }, s.label));
  });
  form.append(
    withText ? h("div", { class: "search" }, q, h("button", { type: "submit", id: "search" }, t("search"))) : "",
    h("div", { class: "filters" },
      h("label", {}, t("app"), app),
      h("label", {}, t("source"), source),
      h("label", {}, t("sentiment"), sentiment),
      h("label", {}, t("minRating"), ratingMin),
      h("label", {}, t("maxRating"), ratingMax),
      h("label", {}, t("category"), h("input", { name: "category", placeholder: "crash, login…" })),
      h("label", {}, t("language"), h("input", { name: "language", placeholder: "zh, en" })),
      h("label", {}, t("from"), h("input", { name: "from", type: "date" })),
      h("label", {}, t("to"), h("input", { name: "to", type: "date" })),
      h("label", { class: "check" }, h("input", { name: "complaint", type: "checkbox", value: "true" }), t("complaintsOnly")),
      h("label", { class: "check" }, h("input", { name: "includeDuplicates", type: "checkbox", value: "true" }), t("includeDuplicates")),
    ),
  );
  const params = () => {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim() !== "") p.set(k, String(v).trim());
    return p;
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    onChange(params());
  });
  form.addEventListener("change", (e) => {
    if (e.target !== q) onChange(params());
  });
  return { form, params };
}

function mentionCard(m) {
  const url = safeUrl(m.url);
  return h("article", { class: "card mention", "data-id": m.id },
    sourceIcon(m.source),
    h("div", {},
      h("div", { class: "meta" },
        h("span", {}, m.apps.join(", ")),
        h("span", {}, m.source),
        stars(m.rating),
        badge(m.sentimentLabel ? t(m.sentimentLabel) : null, m.sentimentLabel),
        m.sentimentScore != null ? h("span", {}, m.sentimentScore.toFixed(2)) : null,
        m.complaint ? badge(m.complaintCategory || "complaint", "warning") : null,
        m.appVersion ? h("span", {}, `v${m.appVersion}`) : null,
        h("span", {}, fmtDate(m.publishedAt || m.fetchedAt)),
        m.author ? h("span", {}, `@${m.author}`) : null,
        m.duplicateOf ? h("span", {}, `${t("duplicateOf")} #${m.duplicateOf}`) : null,
      ),
      m.title ? h("div", { class: "title" }, m.title) : null,
      h("div", { class: "text" }, m.text),
      h("div", { class: "meta" },
        m.keywords.length ? h("span", {}, m.keywords.map((k) => `#${k}`).join(" ")) : null,
        url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow" }, `${t("open")} ↗`) : null,
      ),
    ),
  );
}

async function download(path, filename) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${state.token}` } });
  if (!res.ok) return alert(t("failed"));
  const blob = await res.blob();
  const a = h("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
}

function mentionsPage(root) {
  const list = h("div", { id: "results" });
  const count = h("p", { class: "muted" });
  const more = h("button", { class: "secondary", hidden: true }, t("loadMore"));
  let cursor = null;
  let current = new URLSearchParams();
  const load = async (append) => {
    const p = new URLSearchParams(current);
    p.set("limit", "50");
    if (append && cursor) p.set("cursor", cursor);
    try {
      const page = await api("GET", `/api/mentions?${p}`);
      if (!append) list.replaceChildren();
      for (const m of page.items) list.append(mentionCard(m));
      if (!list.children.length) list.append(h("p", { class: "muted" }, t("noResults")));
      cursor = page.nextCursor;
      more.hidden = !cursor;
      count.textContent = `${list.querySelectorAll(".mention").length}${cursor ? "+" : ""} ${t("results")}`;
    } catch (err) {
      list.replaceChildren(h("p", { class: "error" }, err.message));
    }
  };
  more.addEventListener("click", () => load(true));
  const { form } = filterForm((p) => {
    current = p;
    void load(false);
  });
  const exports = h("div", { class: "row" },
    h("button", { class: "secondary", onclick: () => download(`/api/mentions/export?format=csv&${current}`, "mentions.csv") }, t("exportCsv")),
    h("button", { class: "secondary", onclick: () => download(`/api/mentions/export?format=jsonl&${current}`, "mentions.jsonl") }, t("exportJsonl")),
  );
  root.append(form, h("div", { class: "row" }, count, h("span", { style: "flex:1" }), state.me.role !== "operator" ? exports : null), list, more);
  void load(false);
}

// ---------------------------------------------------------------- trends

function chart(el, option) {
  if (!window.echarts) {
    el.textContent = "ECharts did not load";
    return;
  }
  const c = window.echarts.init(el);
  c.setOption({ textStyle: { fontFamily: getComputedStyle(document.documentElement).fontFamily }, ...option });
  state.charts.push(c);
}

function trendsPage(root) {
  const volumeEl = h("div", { class: "chart", id: "chart-volume" });
  const catEl = h("div", { class: "chart", id: "chart-categories" });
  const shareEl = h("div", { class: "chart", id: "chart-share" });
  const terms = h("div", {});
  const ratings = h("div", {});
  const colors = { negative: "#d92d20", neutral: "#98a2b3", positive: "#12b76a", unscored: "#d0d5dd" };
  const draw = async (p) => {
    for (const c of state.charts.splice(0)) c.dispose();
    const [vol, cats, share, top, rat] = await Promise.all([
      api("GET", `/api/aggregates/volume?interval=day&${p}`),
      api("GET", `/api/aggregates/categories?interval=day&${p}`),
      api("GET", `/api/aggregates/sources?${p}`),
      api("GET", `/api/aggregates/terms?limit=20&${p}`),
      api("GET", `/api/aggregates/ratings?${p}`),
    ]);
    const days = vol.buckets.map((b) => b.bucket.slice(0, 10));
    chart(volumeEl, {
      title: { text: t("volume"), textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { top: 24 },
      grid: { top: 60, left: 40, right: 16, bottom: 30 },
      xAxis: { type: "category", data: days },
      yAxis: { type: "value", minInterval: 1 },
      series: ["negative", "neutral", "positive", "unscored"].map((k) => ({ name: t(k) || k, type: "bar", stack: "all", data: vol.buckets.map((b) => b[k]), itemStyle: { color: colors[k] } })),
    });
    const catNames = [...new Set(cats.rows.map((r) => r.category))];
    const catDays = [...new Set(cats.rows.map((r) => r.bucket.slice(0, 10)))].sort();
    chart(catEl, {
      title: { text: t("categories"), textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { top: 24, type: "scroll" },
      grid: { top: 60, left: 40, right: 16, bottom: 30 },
      xAxis: { type: "category", data: catDays },
      yAxis: { type: "value", minInterval: 1 },
      series: catNames.map((name) => ({ name, type: "bar", stack: "c", data: catDays.map((d) => cats.rows.find((r) => r.category === name && r.bucket.startsWith(d))?.count ?? 0) })),
    });
    chart(shareEl, {
      title: { text: t("share"), textStyle: { fontSize: 14 } },
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{ type: "pie", radius: ["35%", "65%"], top: 30, data: share.sources.map((s) => ({ name: s.source, value: s.count })) }],
    });
    terms.replaceChildren(h("h3", {}, t("topTerms")), h("div", { class: "row" }, top.terms.map((x) => h("span", { class: "badge" }, `${x.term} · ${x.count}`))));
    ratings.replaceChildren(
      h("h3", {}, t("ratings")),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("app")), h("th", {}, t("version")), h("th", {}, t("average")), h("th", {}, t("count")))),
        h("tbody", {}, rat.map((r) => h("tr", {}, h("td", {}, r.app ?? ""), h("td", {}, r.version), h("td", {}, stars(Math.round(r.average)), ` ${r.average}`), h("td", {}, r.count))))),
    );
  };
  const { form } = filterForm((p) => void draw(p).catch((e) => alert(e.message)), { withText: false });
  root.append(form, h("div", { class: "charts" }, h("div", { class: "panel" }, volumeEl), h("div", { class: "panel" }, catEl), h("div", { class: "panel" }, shareEl)),
    h("div", { class: "panel" }, terms), h("div", { class: "panel" }, ratings));
  void draw(new URLSearchParams()).catch((e) => root.append(h("p", { class: "error" }, e.message)));
}

// ---------------------------------------------------------------- alerts

function alertsPage(root) {
  if (state.me.role === "analyst") {
    root.append(h("p", { class: "muted" }, "—"));
    return;
  }
  const list = h("div", { id: "alerts" });
  const stateSel = h("select", { id: "alert-state" }, h("option", { value: "" }, t("all")), h("option", { value: "open", selected: true }, t("open_")), h("option", { value: "acked" }, t("acked")), h("option", { value: "resolved" }, t("resolved")));
  const load = async () => {
    const p = new URLSearchParams();
    if (stateSel.value) p.set("state", stateSel.value);
    const page = await api("GET", `/api/alerts?${p}`);
    list.replaceChildren();
    if (!page.items.length) list.append(h("p", { class: "muted" }, t("noAlerts")));
    for (const a of page.items) list.append(alertCard(a, load));
  };
  stateSel.addEventListener("change", () => void load());
  root.append(h("div", { class: "panel row" }, h("label", {}, `${t("state")} `, stateSel)), list);
  void load().catch((e) => list.append(h("p", { class: "error" }, e.message)));
}

function alertCard(a, reload) {
  const p = a.payload || {};
  const m = p.mention || {};
  const url = safeUrl(m.url);
  const note = h("input", { placeholder: t("resolveNote"), class: "note" });
  const act = (path, body) => async () => {
    try {
      await api("POST", `/api/alerts/${a.id}/${path}`, body?.());
      await reload();
    } catch (e) {
      alert(e.message);
    }
  };
  return h("article", { class: "card alert", "data-id": a.id },
    sourceIcon(p.source || p.health?.source || "feedback"),
    h("div", {},
      h("div", { class: "meta" }, badge(a.severity), badge(t(a.state === "open" ? "open_" : a.state), a.state), h("span", {}, a.kind), h("span", {}, p.app || ""), h("span", {}, fmtDate(a.createdAt)),
        h("span", {}, `${t("delivered")} ${a.delivered} · ${t("pending")} ${a.pending} · ${t("dead")} ${a.dead}`)),
      h("div", { class: "title" }, p.title || a.kind),
      m.excerpt || m.text ? h("div", { class: "text" }, m.excerpt || m.text) : null,
      h("div", { class: "meta" }, stars(m.rating), url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow" }, `${t("open")} ↗`) : null,
        a.ackedBy ? h("span", {}, `${t("acked")}: ${a.ackedBy}`) : null, a.resolvedBy ? h("span", {}, `${t("resolved")}: ${a.resolvedBy}`) : null, a.note ? h("span", {}, `${t("note")}: ${a.note}`) : null),
      a.state !== "resolved"
        ? h("div", { class: "actions" },
            a.state === "open" ? h("button", { class: "ack", onclick: act("ack") }, t("ack")) : null,
            note,
            h("button", { class: "secondary resolve", onclick: act("resolve", () => ({ note: note.value || null })) }, t("resolve")),
            a.dead > 0 ? h("button", { class: "secondary", onclick: act("retry") }, t("retry")) : null)
        : a.dead > 0 ? h("div", { class: "actions" }, h("button", { class: "secondary", onclick: act("retry") }, t("retry"))) : null,
    ),
  );
}

// ---------------------------------------------------------------- watchlists

function watchlistsPage(root) {
  const isAdmin = state.me.role === "admin";
  const table = h("tbody");
  const load = async () => {
    const rows = await api("GET", "/api/watchlists");
    table.replaceChildren(...rows.map((w) => h("tr", {},
      h("td", {}, w.id), h("td", {}, w.app), h("td", {}, w.keywords.join(", ") || "—"), h("td", {}, w.sources.join(", ")), h("td", {}, w.interval),
      h("td", {}, badge(w.enabled ? t("enabled") : t("disable"), w.enabled ? "ok" : "idle")),
      h("td", {}, isAdmin ? h("div", { class: "actions" },
        h("button", { class: "secondary", onclick: async () => { await api("POST", `/api/watchlists/${w.id}/${w.enabled ? "disable" : "enable"}`); await load(); } }, w.enabled ? t("disable") : t("enable")),
        h("button", { class: "danger", onclick: async () => { if (confirm(t("confirmDelete"))) { await api("DELETE", `/api/watchlists/${w.id}`); await load(); } } }, t("delete"))) : null),
    )));
  };
  root.append(h("div", { class: "panel" }, h("table", {}, h("thead", {}, h("tr", {}, ...["#", t("app"), t("keyword"), t("source"), t("interval"), t("state"), ""].map((x) => h("th", {}, x)))), table)));
  if (isAdmin) root.append(watchlistEditor(load));
  else root.append(h("p", { class: "muted" }, t("adminOnly")));
  void load();
}

function watchlistEditor(reload) {
  const app = h("input", { name: "app", list: "app-names", required: true });
  const names = h("datalist", { id: "app-names" });
  const keywords = h("input", { name: "keywords", placeholder: "闪退, 卡顿, crash" });
  const interval = h("input", { name: "interval", value: "30m" });
  const sourceBoxes = h("div", { class: "row" });
  const problems = h("ul", { class: "problems", id: "watchlist-problems" });
  const status = h("span", { class: "muted" });
  void loadLookups().then(({ apps, sources }) => {
    for (const a of apps) names.append(h("option", { value: a.name }));
    for (const s of sources.filter((x) => x.kind !== "ingest")) sourceBoxes.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "sources", value: s.id }), ` ${s.label}`));
  });
  const body = () => ({
    app: app.value.trim() || undefined,
    keywords: keywords.value.split(/[,，]/).map((k) => k.trim()).filter(Boolean),
    sources: [...sourceBoxes.querySelectorAll("input:checked")].map((i) => i.value),
    interval: interval.value.trim(),
  });
  const fields = { app, keywords, interval, sources: sourceBoxes };
  const show = (list) => {
    for (const el of Object.values(fields)) el.classList.remove("field-error");
    problems.replaceChildren(...list.map((p) => h("li", {}, `${p.field}: ${p.message}`)));
    for (const p of list) fields[p.field.split(/[.[]/)[0]]?.classList.add("field-error");
  };
  let timer = null;
  // Live validation: the server's own rules (sources, minimum intervals, duplicates), as you type.
  const validate = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const r = await api("POST", "/api/watchlists/validate", body()).catch((e) => ({ ok: false, problems: [{ field: "body", message: e.message }] }));
      show(r.problems);
      status.textContent = r.ok ? t("valid") : "";
    }, 250);
  };
  const form = h("form", { class: "panel", oninput: validate, onchange: validate },
    h("h3", {}, t("newWatchlist")),
    h("div", { class: "filters" }, h("label", {}, t("app"), app, names), h("label", {}, t("keywords"), keywords), h("label", {}, t("interval"), interval)),
    h("p", {}, t("source")), sourceBoxes,
    problems,
    h("div", { class: "row" }, h("button", { type: "submit" }, t("save")), status,
      h("button", { type: "button", class: "secondary", onclick: () => download("/api/watchlists/export?format=yaml", "watchlists.yaml") }, t("exportYaml"))),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", "/api/watchlists", body());
      status.textContent = t("saved");
      form.reset();
      await reload();
    } catch (err) {
      show(err.body?.details ?? [{ field: err.body?.field ?? "body", message: err.message }]);
    }
  });
  return form;
}

// ---------------------------------------------------------------- sources health

function sourcesPage(root) {
  const body = h("tbody");
  root.append(h("div", { class: "panel" }, h("table", {},
    h("thead", {}, h("tr", {}, ...[t("source"), t("state"), t("lastRun"), t("status"), t("newItems24h"), t("errors24h"), t("rateLimited24h"), t("blockedUntil")].map((x) => h("th", {}, x)))), body)));
  if (state.me.role === "admin") root.append(h("p", {}, h("a", { href: "/admin/queues", target: "_blank" }, `${t("queues")} (Bull Board) ↗`)));
  void api("GET", "/api/sources").then((rows) => {
    body.replaceChildren(...rows.map((s) => h("tr", {},
      h("td", {}, h("div", { class: "row" }, sourceIcon(s.id), s.label)),
      h("td", {}, badge(s.state)),
      h("td", {}, s.lastRun ? fmtDate(s.lastRun.startedAt) : t("never")),
      h("td", {}, s.lastRun ? `${s.lastRun.status}${s.lastRun.error ? ` — ${s.lastRun.error}` : ""}` : ""),
      h("td", {}, s.last24h.itemsNew), h("td", {}, s.last24h.errors + s.last24h.blocked), h("td", {}, s.last24h.rateLimited),
      h("td", {}, s.blocks.map((b) => h("div", {}, `${b.host}: ${fmtDate(b.until)}${b.reason ? ` (${b.reason})` : ""}`))),
    )));
  });
}

// ---------------------------------------------------------------- shell

const pages = { mentions: mentionsPage, trends: trendsPage, alerts: alertsPage, watchlists: watchlistsPage, sources: sourcesPage };

async function render() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  for (const c of state.charts.splice(0)) c.dispose();
  const app = document.getElementById("app");
  if (!state.token) {
    app.replaceChildren(loginPage());
    return;
  }
  if (!state.me) {
    try {
      state.me = await api("GET", "/api/me");
    } catch {
      app.replaceChildren(loginPage(t("badToken")));
      return;
    }
  }
  const page = (location.hash.replace(/^#\//, "") || "mentions").split("?")[0];
  const show = pages[page] ? page : "mentions";
  const langButton = h("button", { class: "secondary", id: "lang", onclick: () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("earshot.lang", state.lang);
    void render();
  } }, state.lang === "zh" ? "English" : "中文");
  const main = h("main", { id: `page-${show}` });
  app.replaceChildren(
    h("header", {},
      h("span", { class: "brand" }, "earshot"),
      h("nav", {}, ...Object.keys(pages).map((p) => h("a", { href: `#/${p}`, class: p === show ? "active" : "", id: `nav-${p}` }, t(p)))),
      h("span", { class: "spacer" }),
      h("span", { class: "muted" }, `${state.me.name} · ${state.me.role}`),
      langButton,
      h("button", { class: "secondary", onclick: logout }, t("logout")),
    ),
    main,
  );
  pages[show](main);
}

window.addEventListener("hashchange", () => void render());
window.addEventListener("resize", () => state.charts.forEach((c) => c.resize()));
void render();
