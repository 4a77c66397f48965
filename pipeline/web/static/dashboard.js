// newswire dashboard: draws /api/stats/stream (figures, every second) and /api/stream
// (stored articles). No framework, no build step; all text goes in through textContent.
"use strict";

const MAX_ARTICLES = 50;
const MAX_DEAD = 6;
const SVG = "http://www.w3.org/2000/svg";
const STAGE_COLOURS = ["#5eb1ff", "#9d8cff", "#3fd0a8", "#ffb454", "#ff7a90", "#c3e88d"];
const LATENCY_COLOURS = { p50: "#3fd0a8", p95: "#ffb454", p99: "#ff7a90" };

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.includes("-") || key === "href" || key === "title") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- formatting -----------------------------------------------------------------------

const fmtInt = (n) => (n ?? 0).toLocaleString("en-US");
const plural = (n, word) => `${fmtInt(n)} ${word}${n === 1 ? "" : "s"}`;

function fmtRate(r) {
  if (!r) return "0/s";
  const digits = r >= 100 ? 0 : r >= 10 ? 1 : 2;
  return `${r.toFixed(digits)}/s`;
}

function fmtSeconds(s) {
  if (s === null || s === undefined) return "–";
  if (s === 0) return "0";
  if (s < 0.01) return `${(s * 1000).toFixed(1)} ms`;
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(2)} s`;
  return `${(s / 60).toFixed(1)} min`;
}

function fmtClock(ts) {
  return ts ? new Date(ts * 1000).toLocaleTimeString("en-GB", { hour12: false }) : "";
}

function fmtDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

// ---- flow picture ---------------------------------------------------------------------

function topicNode(name, lag) {
  return el("div", { class: "node topic", "data-topic": name },
    el("div", { class: "node-kind", text: "topic" }),
    el("div", { class: "node-name", text: name }),
    el("div", { class: "node-meta", text: lag === null || lag === undefined ? "lag –" : `lag ${fmtInt(lag)}` }));
}

// What a stage's node says besides its rate: NER's reading speed, dedupe's decisions.
function stageDetail(stage, stats) {
  if (stage.name === "enrich" && stats.ner?.words_per_s > 0) {
    return `NER ${fmtInt(Math.round(stats.ner.words_per_s))} words/s`;
  }
  if (stage.name === "dedupe" && stats.decisions) {
    const d = stats.decisions;
    if ((d.new ?? 0) + (d.duplicate ?? 0) + (d.same_story ?? 0) > 0) {
      return `${fmtInt(d.new ?? 0)} new · ${fmtInt(d.duplicate ?? 0)} dup · ${fmtInt(d.same_story ?? 0)} same`;
    }
  }
  return "";
}

function agentNode(stage, detail = "") {
  const errors = stage.deadletter > 0;
  return el("div", { class: `node agent${errors ? " has-errors" : ""}`, "data-stage": stage.name },
    el("div", { class: "node-kind", text: "agent" }),
    el("div", { class: "node-name", text: stage.name }),
    el("div", { class: "node-rate", text: fmtRate(stage.rate_1m) }),
    el("div", { class: "node-meta", text: `${fmtInt(stage.ok)} ok` }),
    el("div", { class: "node-meta", text: `p95 ${fmtSeconds(stage.latency.p95)}` }),
    el("div", { class: "node-meta node-detail", text: detail }),
    el("div", { class: `node-errors${errors ? "" : " none"}`, text: plural(stage.deadletter, "dead letter") }));
}

function endpointNode(kind, name, meta) {
  return el("div", { class: `node ${kind}` },
    el("div", { class: "node-kind", text: kind }),
    el("div", { class: "node-name", text: name }),
    el("div", { class: "node-meta", text: meta }));
}

const arrow = () => el("div", { class: "arrow", "aria-hidden": "true", text: "→" });

function renderFlow(stats) {
  const stages = stats.flow.stages;
  const nodes = [endpointNode("source", "producers", "publish · feeds")];
  const seen = new Set();
  for (const stage of stages) {
    if (!seen.has(stage.source)) {
      nodes.push(arrow(), topicNode(stage.source, stage.lag));
      seen.add(stage.source);
    }
    nodes.push(arrow(), agentNode(stage, stageDetail(stage, stats)));
    if (stage.sink === null) {
      const store = stats.stored.store;
      nodes.push(arrow(), endpointNode("sink", "table store", plural(store.articles, "article")));
    }
  }
  $("flow").replaceChildren(...nodes);

  const lane = [el("span", { class: "dlq-name", text: stats.flow.deadletter_topic })];
  for (const stage of stages) {
    lane.push(el("span", { class: `dlq-stage${stage.deadletter ? " hot" : ""}`, text: `${stage.name} ${fmtInt(stage.deadletter)}` }));
  }
  $("dlq-lane").replaceChildren(el("span", { class: "dlq-arrow", text: "↳ dead letters" }), ...lane);
}

// ---- charts ---------------------------------------------------------------------------

function chart(svgNode, lines, { xLabels, format, empty }) {
  const width = Math.max(240, Math.round(svgNode.getBoundingClientRect().width || 600));
  const height = 180, left = 56, right = 8, top = 10, bottom = 22;
  svgNode.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const values = lines.flatMap((l) => l.points.map((p) => p[1]).filter((v) => v !== null));
  const max = Math.max(...values, 0);
  const children = [];
  const plotW = width - left - right, plotH = height - top - bottom;
  const y = (v) => top + plotH - (max ? (v / max) * plotH : 0);
  const x = (f) => left + f * plotW;
  for (const f of max ? [0, 0.5, 1] : [0]) {
    const yy = top + plotH - f * plotH;
    children.push(svg("line", { x1: left, x2: width - right, y1: yy, y2: yy, class: "grid" }));
    children.push(svg("text", { x: left - 6, y: yy + 4, class: "axis", "text-anchor": "end" }, format(max * f)));
  }
  xLabels.forEach(([f, label]) => {
    children.push(svg("text", { x: x(f), y: height - 6, class: "axis", "text-anchor": f === 0 ? "start" : f === 1 ? "end" : "middle" }, label));
  });
  if (!values.length) {
    children.push(svg("text", { x: left + plotW / 2, y: top + plotH / 2, class: "nodata", "text-anchor": "middle" }, empty));
  }
  for (const line of lines) {
    const pts = line.points.filter((p) => p[1] !== null);
    if (!pts.length) continue;
    const d = pts.map(([f, v], i) => `${i ? "L" : "M"}${x(f).toFixed(1)},${y(v).toFixed(1)}`).join("");
    children.push(svg("path", { d, fill: "none", stroke: line.colour, "stroke-width": 2, "stroke-linejoin": "round" }));
    if (pts.length === 1) children.push(svg("circle", { cx: x(pts[0][0]), cy: y(pts[0][1]), r: 3, fill: line.colour }));
  }
  svgNode.replaceChildren(...children);
}

function legend(node, entries) {
  node.replaceChildren(...entries.map(([name, colour, value]) => {
    const swatch = el("i", { class: "swatch" });
    swatch.style.background = colour;
    return el("span", { class: "key" }, swatch, el("span", { text: `${name} ${value}` }));
  }));
}

function renderCharts(stats) {
  const stages = stats.flow.stages;
  const rateLines = stages.map((stage, i) => {
    const n = stage.rates.length;
    return { colour: STAGE_COLOURS[i % STAGE_COLOURS.length], points: stage.rates.map((r, j) => [n > 1 ? j / (n - 1) : 1, r]) };
  });
  chart($("rate-chart"), rateLines, { xLabels: [[0, "−10 min"], [0.5, "−5 min"], [1, "now"]], format: fmtRate, empty: "no records yet" });
  legend($("rate-legend"), stages.map((s, i) => [s.name, STAGE_COLOURS[i % STAGE_COLOURS.length], fmtRate(s.rate_1m)]));

  const e2e = stats.end_to_end;
  const horizon = 300, now = stats.now;
  const latencyLines = ["p50", "p95", "p99"].map((q) => ({
    colour: LATENCY_COLOURS[q],
    points: e2e.series.map((p) => [Math.min(1, Math.max(0, 1 - (now - (p.at + 5)) / horizon)), p[q]]),
  }));
  chart($("latency-chart"), latencyLines, { xLabels: [[0, "−5 min"], [0.5, "−2.5 min"], [1, "now"]], format: fmtSeconds, empty: "no samples in the last 5 min" });
  legend($("latency-legend"), ["p50", "p95", "p99"].map((q) => [q, LATENCY_COLOURS[q], fmtSeconds(e2e[q])]));

  const stageLines = stages.map((stage, i) => ({
    colour: STAGE_COLOURS[i % STAGE_COLOURS.length],
    points: (stage.latency_series ?? []).map((p) => [Math.min(1, Math.max(0, 1 - (now - (p.at + 5)) / horizon)), p.p95]),
  }));
  chart($("stage-latency-chart"), stageLines, { xLabels: [[0, "−5 min"], [0.5, "−2.5 min"], [1, "now"]], format: fmtSeconds, empty: "no samples in the last 5 min" });
  legend($("stage-latency-legend"), stages.map((s, i) => [s.name, STAGE_COLOURS[i % STAGE_COLOURS.length], fmtSeconds(s.latency.p95)]));
}

// ---- side panels ----------------------------------------------------------------------

function bars(node, rows, hot) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  node.replaceChildren(...rows.map(([name, n]) => {
    const fill = el("span", { class: `fill${hot ? " hot" : ""}` });
    fill.style.width = `${Math.max(2, (n / max) * 100)}%`;
    return el("div", { class: "bar", "data-name": name },
      el("span", { class: "bar-name", text: name }), el("span", { class: "track" }, fill),
      el("span", { class: "bar-n", text: fmtInt(n) }));
  }));
}

function renderDeadLetters(dl) {
  $("deadletters").textContent = fmtInt(dl.total);
  const reasons = Object.entries(dl.by_reason);
  $("deadletters-sub").textContent = reasons.length ? reasons.slice(0, 2).map(([r, n]) => `${r} ${n}`).join(" · ") : "none";
  bars($("dl-reasons"), reasons, true);
  $("dl-latest").replaceChildren(...dl.latest.slice(0, MAX_DEAD).map((d) =>
    el("li", { class: "dead-item", "data-reason": d.reason },
      el("div", { class: "dead-head" },
        el("span", { class: "badge bad", text: d.reason }),
        el("span", { class: "muted", text: `${d.stage} · ${d.where} · ${fmtClock(d.at)}` })),
      el("div", { class: "dead-msg", text: d.message }))));
  $("dl-empty").hidden = dl.total > 0;
}

// Entities the dashboard shows (people, organisations, places, groups, events, works, laws,
// products): /api/stats says which labels; dates stay in the records but are not shown.
let namedLabels = null;

function named(entities) {
  return namedLabels ? (entities ?? []).filter((e) => namedLabels.has(e.label)) : [];
}

function entityChip(e, count) {
  const text = count === undefined ? e.text : `${e.text} · ${count}`;
  return el("button", { type: "button", class: `chip label-${e.label}`, title: `${e.label}: show its articles`,
    "data-entity": e.text, text, onclick: () => setEntityFilter(e.text) });
}

function storyItem(s) {
  const growth = s.last_hour > 0 ? ` · +${fmtInt(s.last_hour)} in the last hour` : "";
  const entities = named(s.entities);
  return el("li", { "data-story": s.story_id },
    el("a", { href: `/api/stories/${encodeURIComponent(s.story_id)}`, text: s.title ?? s.story_id }),
    el("span", { class: "muted", text: ` ${plural(s.articles, "article")}${growth}` }),
    entities.length ? el("div", { class: "chips" }, ...entities.map((e) => entityChip(e))) : null);
}

const LANGUAGE_NAMES = new Intl.DisplayNames(["en"], { type: "language" });

function languageName(code) {
  if (!code) return "unknown";
  try {
    return `${LANGUAGE_NAMES.of(code)} (${code})`;
  } catch {
    return code;  // not a language code Intl knows
  }
}

function renderSide(stats) {
  const entities = stats.entities;
  $("entities-panel").hidden = entities.length === 0;
  $("entities").replaceChildren(...named(entities).map((e) => entityChip(e, e.articles)));

  const store = stats.stored.store;
  $("stories-panel").hidden = store.stories.length === 0;
  $("stories").replaceChildren(...store.stories.map(storyItem));
  const growing = store.growing ?? [];
  $("growing-head").hidden = growing.length === 0;
  $("growing").replaceChildren(...growing.map(storyItem));

  const languages = (stats.stored.store.languages ?? []).map((l) => [languageName(l.language), l.articles]);
  bars($("languages"), languages, false);
  $("languages-empty").hidden = languages.length > 0;

  const sources = stats.stored.store.sources.map((s) => [s.source, s.articles]);
  bars($("sources"), sources, false);
  $("sources-empty").hidden = sources.length > 0;

  const byTopic = new Map();
  for (const l of stats.lag) {
    if (!byTopic.has(l.name)) byTopic.set(l.name, []);
    byTopic.get(l.name).push(l);
  }
  const rows = [...byTopic].map(([name, parts]) => {
    const total = parts.reduce((sum, l) => sum + l.lag, 0);
    return el("tr", { "data-topic": name },
      el("td", { class: "topic-name", text: name }),
      el("td", {}, el("div", { class: "parts" }, ...parts.map((l) =>
        el("span", { class: `part${l.lag > 0 ? " hot" : ""}`, title: `partition ${l.partition}`, text: `${l.partition}: ${fmtInt(l.lag)}` })))),
      el("td", { class: `num${total > 0 ? " hot" : ""}`, text: fmtInt(total) }));
  });
  $("lag").tBodies[0].replaceChildren(...rows);
  $("lag-empty").hidden = rows.length > 0;
}

function renderStats(stats) {
  namedLabels = new Set(stats.named_labels ?? []);
  $("app-id").textContent = stats.app_id;
  $("uptime").textContent = `up ${fmtDuration(stats.now - stats.started_at)}`;
  $("processed").textContent = fmtInt(stats.processed);
  const first = stats.flow.stages[0];
  $("processed-rate").textContent = first ? `${fmtRate(first.rate_1m)} into ${first.name}` : "–";
  $("stored").textContent = fmtInt(stats.stored.store.articles);
  $("stored-sub").textContent = `${fmtRate(stats.stored.rate_1m)} · ${fmtInt(stats.stored.total)} since start`;
  for (const q of ["p50", "p95", "p99"]) $(`e2e-${q}`).textContent = fmtSeconds(stats.end_to_end[q]);
  renderFlow(stats);
  renderCharts(stats);
  renderDeadLetters(stats.deadletters);
  renderSide(stats);
}

// ---- live article stream --------------------------------------------------------------

function decision(a) {
  if (a.kind === "duplicate") return ["dup", `duplicate of ${a.duplicate_of ?? "?"}`];
  if (a.kind === "same_story") return ["same", `same story as ${a.related_to ?? "?"}`];
  if (a.kind === "new") return ["new", "new story"];
  return ["none", "no decision yet"];
}

function articleItem(a) {
  const [kind, text] = decision(a);
  const entities = named(a.entities).slice(0, 8);
  return el("li", { class: "article", "data-id": a.id },
    el("div", { class: "article-head" },
      el("span", { class: "muted", text: fmtClock(a.stored_at) }),
      el("span", { class: "badge source", text: a.source || "unknown source" }),
      el("span", { class: `badge decision ${kind}`, text }),
      a.published_at ? el("span", { class: "muted", text: a.published_at.slice(0, 10) }) : null),
    el("a", { class: "article-title", href: `/api/articles/${encodeURIComponent(a.id)}`, text: a.title }),
    entities.length
      ? el("div", { class: "chips" }, ...entities.map((e) => entityChip(e)))
      : el("div", { class: "muted small", text: "no entities" }));
}

function addArticle(a) {
  const list = $("articles");
  list.querySelector(`li[data-id="${CSS.escape(a.id)}"]`)?.remove();
  list.prepend(articleItem(a));
  while (list.children.length > MAX_ARTICLES) list.lastElementChild.remove();
  $("articles-empty").hidden = true;
}

// ---- feeds (GET /api/feeds, every 10 s) ------------------------------------------------

function feedRow(f) {
  const h = f.health || {};
  const failing = f.failures > 0 || (h.last_error_at && !h.ok);
  const state = failing ? (h.last_error_reason || "error") : h.last_success_at ? "ok" : "waiting";
  const fresh = h.freshness_seconds == null ? "–" : fmtDuration(h.freshness_seconds);
  return el("tr", { title: f.last_error || f.url },
    el("td", { class: "topic-name", text: f.name }),
    el("td", { class: failing ? "hot" : "", text: state }),
    el("td", { class: "num", text: `${fmtInt(h.items_per_hour || 0)}/h` }),
    el("td", { class: "num", text: fmtSeconds(h.median_fetch_seconds) }),
    el("td", { class: "num", text: fresh }));
}

async function refreshFeeds() {
  try {
    const response = await fetch("/api/feeds", { cache: "no-store" });
    const data = await response.json();
    const body = $("feeds").tBodies[0];
    body.replaceChildren(...data.feeds.map(feedRow));
    $("feeds-empty").hidden = data.feeds.length > 0;
  } catch (err) {
    // The next refresh tries again; the stats stream shows the connection state.
  }
}

refreshFeeds();
setInterval(refreshFeeds, 10000);

// ---- connections ----------------------------------------------------------------------

const open = { stats: false, articles: false };

function showConnection() {
  const live = open.stats && open.articles;
  $("conn").dataset.state = live ? "live" : "reconnecting";
  $("conn").textContent = live ? "live" : "reconnecting…";
}

function connect(name, url, event, handle) {
  const source = new EventSource(url);
  source.addEventListener("open", () => { open[name] = true; showConnection(); });
  source.addEventListener("error", () => { open[name] = false; showConnection(); });
  source.addEventListener(event, (e) => handle(JSON.parse(e.data)));
  return source;
}

// ---- entity filter with suggestions ---------------------------------------------------

let articleStream = null;

function connectArticles(entity) {
  articleStream?.close();
  const filter = entity ? `&entity=${encodeURIComponent(entity)}` : "";
  $("articles").replaceChildren();
  $("articles-empty").hidden = false;
  $("stream-hint").textContent = entity ? `naming ${entity}, newest first` : "newest first";
  articleStream = connect("articles", `/api/stream?backlog=30&body=0${filter}`, "article", addArticle);
}

function setEntityFilter(entity) {
  $("entity-filter").value = entity;
  connectArticles(entity);
}

let suggestTimer = null;

async function suggest(prefix) {
  const response = await fetch(`/api/entities?limit=10&prefix=${encodeURIComponent(prefix)}`, { cache: "no-store" });
  if (!response.ok) return;
  const { entities } = await response.json();
  $("entity-suggestions").replaceChildren(...entities.map((e) =>
    el("option", { value: e.text, label: `${e.label} · ${plural(e.articles, "article")}` })));
}

$("entity-filter").addEventListener("input", (e) => {
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(() => suggest(e.target.value.trim()), 150);
});
$("entity-filter").addEventListener("change", (e) => connectArticles(e.target.value.trim()));
$("entity-filter").addEventListener("focus", (e) => suggest(e.target.value.trim()));

connect("stats", "/api/stats/stream", "stats", (stats) => {
  const first = namedLabels === null;
  renderStats(stats);
  if (first) connectArticles("");  // after the labels are known, so the first chips are right
});
