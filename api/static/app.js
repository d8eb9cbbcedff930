/*
 * The chat page. Everything the API returns is data, so the DOM is built with
 * createElement/textContent only: a transcript that contains markup shows it
 * as text and can never run it.
 */
"use strict";

const KEY_STORAGE = "transcript-qa.api-key";
const POLL_MS = 500;

const state = {
  transcripts: [],
  excluded: new Set(), // unticked transcript ids; new uploads start ticked
  asking: false,
  keyPrompt: null, // the pending "ask for a key" promise, shared by concurrent 401s
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/* ---------- API access, with the key asked for on 401 ---------- */

class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function describeError(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail)) {
    const msgs = detail.map((d) => (d && d.msg ? d.msg : String(d))).filter(Boolean);
    if (msgs.length) return msgs.join("; ");
  }
  return `The server answered ${status}.`;
}

function askForKey(message) {
  if (state.keyPrompt) return state.keyPrompt;
  const dialog = $("key-dialog");
  const input = $("key-input");
  $("key-message").textContent = message;
  input.value = "";
  state.keyPrompt = new Promise((resolve) => {
    const finish = (key) => {
      $("key-form").removeEventListener("submit", onSubmit);
      $("key-cancel").removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      state.keyPrompt = null;
      resolve(key);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (key) finish(key);
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(null);
    };
    $("key-form").addEventListener("submit", onSubmit);
    $("key-cancel").addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
  });
  dialog.showModal();
  input.focus();
  return state.keyPrompt;
}

async function api(path, options = {}) {
  let rejectedKey = null;
  for (;;) {
    const headers = new Headers(options.headers || {});
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) headers.set("Authorization", `Bearer ${key}`);
    let response;
    try {
      response = await fetch(path, { ...options, headers });
    } catch {
      throw new ApiError("Could not reach the server. Is it running?", 0, null);
    }
    if (response.status === 401) {
      const sent = key || null;
      const current = sessionStorage.getItem(KEY_STORAGE);
      if (current && current !== sent) continue; // another request already got a new key
      const message = sent && sent !== rejectedKey
        ? "That key was not accepted. Please check it and try again."
        : "This service asks for an access key. It is kept only for this browser tab.";
      rejectedKey = sent;
      const entered = await askForKey(message);
      if (!entered) throw new ApiError("An API key is needed to use this service.", 401, null);
      sessionStorage.setItem(KEY_STORAGE, entered);
      continue;
    }
    let body = null;
    if (response.status !== 204) {
      const text = await response.text();
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = { detail: text };
      }
    }
    if (!response.ok) throw new ApiError(describeError(response.status, body), response.status, body);
    return body;
  }
}

const postJson = (path, data) =>
  api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });

/* ---------- formatting ---------- */

const pad = (n) => String(n).padStart(2, "0");

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

const longClock = (seconds) => {
  const s = Math.max(0, Math.floor(seconds));
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
};

const hasTime = (c) => typeof c.start_time === "number";

function timeRange(c, format) {
  if (!hasTime(c)) return "";
  return typeof c.end_time === "number" ? `${format(c.start_time)}–${format(c.end_time)}` : format(c.start_time);
}

function citationText(c) {
  const parts = [`${c.transcript} [${c.start}, ${c.end})`];
  if (hasTime(c)) parts.push(timeRange(c, longClock));
  return parts.join(" ");
}

function addedDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(undefined, { dateStyle: "medium" });
}

/* ---------- clipboard ---------- */

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = el("textarea", "offscreen");
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

function copyButton(getText) {
  const button = el("button", "secondary small copy", "Copy citation");
  button.type = "button";
  button.addEventListener("click", async () => {
    const text = getText();
    button.dataset.citation = text;
    const ok = await copyText(text);
    button.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(() => { button.textContent = "Copy citation"; }, 1500);
  });
  return button;
}

/* ---------- conversation ---------- */

/* Show the newest exchange from its question down, so the best answer is read first. */
function scrollConversation(from) {
  const box = $("conversation");
  box.scrollTop = from ? from.offsetTop - 12 : box.scrollHeight;
}

function addMessage(className) {
  $("welcome").hidden = true;
  const message = el("div", `message ${className}`);
  $("conversation").append(message);
  return message;
}

/* The passage with its highlight (absolute offsets) wrapped in <mark>. */
function passage(answer) {
  const quote = el("blockquote", "passage");
  const { text, highlight, citation } = answer;
  if (highlight && highlight.end > highlight.start) {
    const from = Math.max(0, highlight.start - citation.start);
    const to = Math.min(text.length, highlight.end - citation.start);
    if (to > from) {
      quote.append(text.slice(0, from), el("mark", "hl", text.slice(from, to)), text.slice(to));
      return quote;
    }
  }
  quote.textContent = text;
  return quote;
}

function answerCard(answer) {
  const c = answer.citation;
  const card = el("article", "answer");
  card.dataset.transcriptId = c.transcript_id;

  const head = el("div", "answer-head");
  const source = el("button", "source", c.transcript);
  source.type = "button";
  source.title = "Open the transcript at this passage";
  source.addEventListener("click", () => openTranscript(c.transcript_id, c, answer.highlight));
  head.append(el("span", "rank", `#${answer.rank}`), source);
  const roles = (c.roles || []).join(", ");
  const where = [c.speaker || c.section, roles].filter(Boolean).join(" · ");
  if (where) {
    const label = el("span", "where", where);
    label.title = where;
    head.append(label);
  }
  if (hasTime(c)) head.append(el("span", "time", timeRange(c, clock)));
  const badge = typeof answer.confidence === "number"
    ? el("span", "score", `${Math.round(answer.confidence * 100)}% confidence`)
    : el("span", "score", `score ${answer.score.toFixed(2)}`);
  badge.title = `score ${answer.score.toFixed(3)}`;
  head.append(badge);
  card.append(head);

  if (c.question) {
    const q = el("p", "qa-question");
    q.append(el("span", "qa-label", "Q"), c.question);
    card.append(q);
  }
  card.append(passage(answer));

  const foot = el("div", "answer-foot");
  const span = el("span", "span", `[${c.start}, ${c.end})`);
  const open = el("button", "link cite", "Show in transcript");
  open.type = "button";
  open.addEventListener("click", () => openTranscript(c.transcript_id, c, answer.highlight));
  foot.append(span, open, copyButton(() => citationText(c)));
  card.append(foot);
  return card;
}

function renderResult(message, result) {
  const answers = result.answers || [];
  const answerable = typeof result.answerable === "boolean" ? result.answerable : answers.length > 0;
  message.replaceChildren();
  if (!answerable) {
    const none = el("div", "not-found");
    none.append(el("strong", null, "Not in the transcripts"),
      el("p", null, "No passage answers this question."));
    message.append(none);
    if (answers.length) {
      const closest = el("div", "closest");
      closest.append(el("p", "closest-label", "Closest passages"));
      answers.forEach((a) => closest.append(answerCard(a)));
      message.append(closest);
    }
  } else {
    answers.forEach((a) => message.append(answerCard(a)));
  }
  if (typeof result.took_ms === "number") {
    message.append(el("p", "took", `${plural(answers.length, "passage")} in ${Math.round(result.took_ms)} ms`));
  }
}

function selectedIds() {
  return state.transcripts.map((t) => t.id).filter((id) => !state.excluded.has(id));
}

async function ask(question) {
  const body = { question, top_k: 5 };
  if (state.excluded.size) {
    const ids = selectedIds();
    if (!ids.length) {
      addMessage("error").textContent = "Tick at least one transcript to search.";
      scrollConversation();
      return;
    }
    body.transcript_ids = ids;
  }
  state.asking = true;
  $("send").disabled = true;
  const asked = addMessage("question");
  asked.textContent = question;
  const reply = addMessage("reply loading");
  reply.append(el("span", "spinner"), el("span", null, "Searching the transcripts…"));
  scrollConversation();
  try {
    const result = await postJson("/ask", body);
    reply.classList.remove("loading");
    renderResult(reply, result);
  } catch (error) {
    reply.className = "message error";
    reply.textContent = error.message;
  } finally {
    state.asking = false;
    $("send").disabled = false;
    scrollConversation(asked);
  }
}

function submitQuestion() {
  const box = $("question");
  const question = box.value.trim();
  if (!question || state.asking) return;
  box.value = "";
  ask(question);
}

/* ---------- transcript viewer ---------- */

let viewerToken = 0;

async function openTranscript(id, citation, highlight) {
  const token = ++viewerToken;
  $("library").hidden = true;
  $("viewer").hidden = false;
  $("viewer-title").textContent = citation ? citation.transcript : "Loading…";
  $("viewer-meta").textContent = "";
  const textBox = $("viewer-text");
  textBox.replaceChildren(el("p", "loading-line", "Loading the transcript…"));
  const copy = $("viewer-copy");
  copy.hidden = !citation;
  if (citation) copy.dataset.citation = citationText(citation);
  try {
    const t = await api(`/transcripts/${encodeURIComponent(id)}`);
    if (token !== viewerToken) return;
    $("viewer-title").textContent = t.name;
    $("viewer-meta").textContent = `${t.format} · ${t.chars.toLocaleString()} characters · ${plural(t.chunks, "passage")} · added ${addedDate(t.added_at)}`;
    textBox.replaceChildren();
    if (!citation) {
      textBox.textContent = t.text;
      textBox.scrollTop = 0;
      return;
    }
    const text = t.text;
    const cite = el("mark", "cite");
    cite.id = "cited-span";
    const hs = highlight ? Math.max(highlight.start, citation.start) : 0;
    const he = highlight ? Math.min(highlight.end, citation.end) : 0;
    if (highlight && he > hs) {
      cite.append(text.slice(citation.start, hs), el("mark", "hl", text.slice(hs, he)), text.slice(he, citation.end));
    } else {
      cite.textContent = text.slice(citation.start, citation.end);
    }
    textBox.append(text.slice(0, citation.start), cite, text.slice(citation.end));
    requestAnimationFrame(() => {
      const target = cite.querySelector(".hl") || cite;
      target.scrollIntoView({ block: "center", behavior: "auto" });
    });
  } catch (error) {
    if (token !== viewerToken) return;
    textBox.replaceChildren(el("p", "error-line", error.message));
  }
}

function closeViewer() {
  viewerToken++;
  $("viewer").hidden = true;
  $("library").hidden = false;
}

/* ---------- transcripts list ---------- */

function renderScope() {
  const total = state.transcripts.length;
  const chosen = selectedIds().length;
  const scope = $("scope");
  if (!total) scope.textContent = "No transcripts yet: upload some to start.";
  else if (!state.excluded.size) scope.textContent = total === 1 ? "Searching the only transcript" : `Searching all ${total} transcripts`;
  else if (!chosen) scope.textContent = "No transcript ticked";
  else scope.textContent = `Searching ${chosen} of ${total} transcripts`;
  const all = $("select-all");
  all.checked = total > 0 && !state.excluded.size;
  all.indeterminate = state.excluded.size > 0 && chosen > 0;
}

function transcriptRow(t) {
  const row = el("li", "transcript");
  row.dataset.id = t.id;

  const pick = el("input");
  pick.type = "checkbox";
  pick.checked = !state.excluded.has(t.id);
  pick.setAttribute("aria-label", `Search ${t.name}`);
  pick.addEventListener("change", () => {
    if (pick.checked) state.excluded.delete(t.id);
    else state.excluded.add(t.id);
    renderScope();
  });

  const info = el("div", "transcript-info");
  const name = el("button", "link name", t.name);
  name.type = "button";
  name.title = "Read this transcript";
  name.addEventListener("click", () => openTranscript(t.id, null, null));
  info.append(name, el("span", "meta", `${t.format} · ${plural(t.chunks, "passage")} · added ${addedDate(t.added_at)}`));

  const actions = el("div", "row-actions");
  const remove = el("button", "danger small", "Delete");
  remove.type = "button";
  remove.setAttribute("aria-label", `Delete ${t.name}`);
  remove.addEventListener("click", () => confirmDelete(t, actions, remove));
  actions.append(remove);

  row.append(pick, info, actions);
  return row;
}

function confirmDelete(t, actions, remove) {
  const question = el("span", "confirm-text", "Delete for good?");
  const yes = el("button", "danger small confirm-yes", "Delete");
  yes.type = "button";
  const no = el("button", "secondary small", "Cancel");
  no.type = "button";
  no.addEventListener("click", () => actions.replaceChildren(remove));
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    no.disabled = true;
    try {
      await api(`/transcripts/${encodeURIComponent(t.id)}`, { method: "DELETE" });
      state.excluded.delete(t.id);
      await loadTranscripts();
    } catch (error) {
      actions.replaceChildren(el("span", "error-line", error.message), remove);
    }
  });
  actions.replaceChildren(question, yes, no);
  no.focus();
}

async function loadTranscripts() {
  const list = $("transcript-list");
  try {
    state.transcripts = await api("/transcripts");
  } catch (error) {
    list.replaceChildren(el("li", "error-line", error.message));
    return;
  }
  const ids = new Set(state.transcripts.map((t) => t.id));
  state.excluded.forEach((id) => { if (!ids.has(id)) state.excluded.delete(id); });
  list.replaceChildren(...state.transcripts.map(transcriptRow));
  if (!state.transcripts.length) list.append(el("li", "empty", "No transcripts yet."));
  renderScope();
  loadHealth();
}

async function loadHealth() {
  try {
    const h = await api("/health");
    $("health").textContent = `${plural(h.transcripts, "transcript")} · ${plural(h.chunks, "passage")}`;
  } catch (error) {
    $("health").textContent = error.message;
  }
}

/* ---------- upload ---------- */

/* The server may tidy a file's name; match its answer to our row by name, else by order. */
function uploadRows(files) {
  const status = $("upload-status");
  const rows = files.map((file) => {
    const row = el("li", "pending");
    row.append(el("span", "file-name", file.name), el("span", "file-state", "uploading…"));
    return { name: file.name, row };
  });
  status.prepend(...rows.map((r) => r.row));
  const key = (name) => name.toLowerCase().replace(/[^\p{L}\p{N}.]/gu, "");
  const pending = () => rows.filter((r) => r.row.className === "pending");
  return {
    mark(name, className, text) {
      const open = pending();
      const found = open.find((r) => r.name === name) || open.find((r) => key(r.name) === key(name)) || open[0];
      if (!found) return;
      found.row.className = className;
      found.row.querySelector(".file-state").textContent = text;
    },
    markRest(className, text) {
      pending().forEach((r) => this.mark(r.name, className, text));
    },
  };
}

async function upload(files) {
  if (!files.length) return;
  const rows = uploadRows(files);
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  try {
    const result = await api("/transcripts", { method: "POST", body: form });
    for (const t of result.transcripts || []) {
      rows.mark(t.name, "ok", t.created ? `added · ${t.format} · ${plural(t.chunks, "passage")}` : "already stored");
    }
    for (const e of result.errors || []) rows.mark(e.name, "failed", e.detail);
  } catch (error) {
    for (const e of (error.body && error.body.errors) || []) rows.mark(e.name, "failed", e.detail);
    rows.markRest("failed", error.message);
  }
  await loadTranscripts();
}

function setUpDropzone() {
  const zone = $("dropzone");
  const side = document.querySelector(".side");
  let depth = 0;
  side.addEventListener("dragenter", (event) => {
    event.preventDefault();
    depth++;
    zone.classList.add("over");
  });
  side.addEventListener("dragover", (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  side.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove("over");
  });
  side.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove("over");
    if ($("library").hidden) closeViewer();
    upload([...event.dataTransfer.files]);
  });
  /* A file dropped beside the panel must not navigate away from the chat. */
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
}

/* ---------- index rebuild ---------- */

function showJob(job) {
  const box = $("rebuild-status");
  const fill = $("rebuild-fill");
  const text = $("rebuild-text");
  box.hidden = false;
  box.dataset.state = job.state;
  const pct = job.state === "done" ? 100 : job.total ? Math.round((100 * job.done) / job.total) : 0;
  fill.style.width = `${pct}%`;
  box.querySelector(".bar").setAttribute("aria-valuenow", String(pct));
  if (job.state === "done") text.textContent = "Index rebuilt";
  else if (job.state === "failed") text.textContent = `Rebuild failed: ${job.error || "unknown error"}`;
  else if (job.state === "queued") text.textContent = "Rebuild queued…";
  else text.textContent = job.total ? `Rebuilding… ${job.done}/${job.total}` : "Rebuilding…";
}

async function rebuild() {
  const button = $("rebuild");
  button.disabled = true;
  try {
    let job = await api("/index/rebuild", { method: "POST" });
    showJob(job);
    while (job.state === "queued" || job.state === "running") {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = await api(`/index/jobs/${encodeURIComponent(job.id)}`);
      showJob(job);
    }
    await loadTranscripts();
  } catch (error) {
    const box = $("rebuild-status");
    box.hidden = false;
    box.dataset.state = "failed";
    $("rebuild-text").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

/* ---------- wiring ---------- */

function init() {
  const box = $("question");
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitQuestion();
    }
  });
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitQuestion();
  });
  document.querySelectorAll(".example").forEach((button) => {
    button.addEventListener("click", () => {
      box.value = button.textContent;
      submitQuestion();
    });
  });
  $("select-all").addEventListener("change", (event) => {
    if (event.target.checked) state.excluded.clear();
    else state.transcripts.forEach((t) => state.excluded.add(t.id));
    $("transcript-list").querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = event.target.checked; });
    renderScope();
  });
  $("file-input").addEventListener("change", (event) => {
    const files = [...event.target.files];
    event.target.value = "";
    upload(files);
  });
  $("viewer-close").addEventListener("click", closeViewer);
  const viewerCopy = $("viewer-copy");
  viewerCopy.addEventListener("click", async () => {
    const ok = await copyText(viewerCopy.dataset.citation || "");
    viewerCopy.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(() => { viewerCopy.textContent = "Copy citation"; }, 1500);
  });
  $("rebuild").addEventListener("click", rebuild);
  setUpDropzone();
  loadTranscripts();
  box.focus();
}

document.addEventListener("DOMContentLoaded", init);
