// ride's live page: frames as they are rendered (server-sent events), a scrubber, play/loop,
// the scene's curves (the same series `ride plot` draws), and the last save's errors.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const view = {
    status: { frames: 0, rendered: 0, state: "connecting", errors: [] },
    keys: [],          // keys[i]: frame i's key; its URL carries it, so an edited frame is fetched anew
    pass: null,        // the render pass the keys belong to
    curves: null,
    current: -1,
    timer: null,
  };
  const img = $("frame"), scrub = $("scrub"), canvas = $("curves");
  const COLORS = ["#4fa3ff", "#ffa94d", "#69db7c", "#ff6b6b", "#b197fc", "#c0a080", "#f783ac", "#adb5bd",
                  "#d8f5a2", "#66d9e8"];

  function frameURL(i) { return "/frames/" + i + ".png?k=" + encodeURIComponent(view.keys[i] || ""); }

  function show(i) {
    const last = view.status.rendered - 1;
    if (last < 0) { img.removeAttribute("src"); $("empty").hidden = false; return; }
    i = Math.max(0, Math.min(i, last));
    if (i !== view.current || img.dataset.key !== (view.keys[i] || "")) {
      img.src = frameURL(i);
      img.dataset.tries = "0";
      img.dataset.key = view.keys[i] || "";
      img.dataset.index = String(i);
    }
    $("empty").hidden = true;
    view.current = i;
    scrub.value = String(i);
    const fps = view.curves ? view.curves.fps : 12;
    $("where").textContent = "frame " + i + " \u00b7 " + (i / fps).toFixed(2) + " s";
    drawCurves();
  }

  function setStatus(status) {
    view.status = status;
    const badge = $("state");
    badge.textContent = status.state;
    badge.className = "badge " + status.state;
    let text = status.rendered + " / " + status.frames + " frames";
    if (status.state === "rendering" && status.fps) text += " \u00b7 " + status.fps.toFixed(1) + " fps";
    if (status.eta != null) text += " \u00b7 " + Math.ceil(status.eta) + " s left";
    $("progress").textContent = text;
    scrub.max = String(Math.max(0, status.rendered - 1));
    showErrors(status.errors || []);
    document.body.dataset.state = status.state;
    document.body.dataset.rendered = String(status.rendered);
  }

  function showErrors(errors) {
    const box = $("errors");
    box.replaceChildren();  // text nodes only: a prompt or a message is never read as HTML
    box.hidden = errors.length === 0;
    for (const e of errors) {
      const where = e.line ? e.path + ":" + e.line + ":" + e.col + ": " : e.path + ": ";
      line(box, "head", where + "error: " + e.message + (e.code ? " [" + e.code + "]" : ""));
      if (e.source) {
        const number = String(e.line).padStart(5) + " | ";
        line(box, "", number + e.source);
        line(box, "", " ".repeat(number.length - 2) + "| " + " ".repeat(Math.max(0, e.col - 1)) + "^");
      }
      if (e.hint) line(box, "hint", "  hint: " + e.hint);
    }
    if (errors.length) line(box, "note", "The frames shown are the last good save's; fix the script and save.");
  }

  function line(box, kind, text) {
    const div = document.createElement("div");
    if (kind) div.className = kind;
    div.textContent = text;
    box.appendChild(div);
  }

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    return response.json();
  }

  // What the event stream does not carry: the rendered frames' keys and the curves. Keys of one
  // pass never change, so what arrives is merged with the keys frame events brought meanwhile.
  async function refresh() {
    const pass = view.pass;
    let status, keys, curves;
    try {
      [status, keys, curves] = await Promise.all([getJSON("/status"), getJSON("/keys"), getJSON("/curves")]);
    } catch (error) {  // the server busy or restarting: ask again rather than stay blank
      setTimeout(refresh, 1000);
      return;
    }
    if (pass !== view.pass) return;  // a newer pass began meanwhile: its own refresh follows
    if (pass == null) view.pass = status.pass;
    keys.forEach((key, i) => { view.keys[i] = key; });
    view.curves = curves && curves.series ? curves : null;
    if (view.curves) $("title").textContent = view.curves.title;
    if (status.pass === view.pass && status.rendered >= view.status.rendered) setStatus(status);
    show($("live").checked ? view.status.rendered - 1 : view.current);
  }

  // -- playing ------------------------------------------------------------------------
  function play() {
    stop();
    $("live").checked = false;
    $("play").textContent = "pause";
    const fps = view.curves ? view.curves.fps : 12;
    view.timer = setInterval(() => {
      let next = view.current + 1;
      if (next >= view.status.rendered) {
        if (!$("loop").checked) { stop(); return; }
        next = 0;
      }
      show(next);
    }, 1000 / fps);
  }
  function stop() {
    if (view.timer) clearInterval(view.timer);
    view.timer = null;
    $("play").textContent = "play";
  }
  $("play").addEventListener("click", () => (view.timer ? stop() : play()));
  document.addEventListener("keydown", (e) => {
    if (e.key === " " && e.target === document.body) { e.preventDefault(); view.timer ? stop() : play(); }
  });
  scrub.addEventListener("input", () => { stop(); $("live").checked = false; show(Number(scrub.value)); });
  $("live").addEventListener("change", () => { if ($("live").checked) { stop(); show(view.status.rendered - 1); } });

  // -- curves -------------------------------------------------------------------------
  const ROW = 56, WEIGHTS = 90, LEFT = 120, PAD = 8;

  function layout() {
    const c = view.curves;
    if (!c) return { values: [], weights: [], height: 40 };
    const values = c.series.filter((s) => s.group !== "weight" && !s.constant);
    const weights = c.series.filter((s) => s.group === "weight");
    const height = PAD + values.length * ROW + (weights.length ? WEIGHTS : 0) + 24;
    return { values, weights, height };
  }

  function drawCurves() {
    const c = view.curves, { values, weights, height } = layout();
    const ratio = window.devicePixelRatio || 1, width = canvas.clientWidth || 640;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.height = height + "px";
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = "11px system-ui, sans-serif";
    if (!c) { g.fillStyle = "#9aa0a6"; g.fillText("no curves yet", PAD, 20); return; }
    const span = Math.max(1, c.stop - 1 - c.start);
    const x = (f) => LEFT + ((f - c.start) / span) * (width - LEFT - PAD);
    let top = PAD;
    for (const s of values) {
      row(g, s, top, ROW - 10, x, width);
      top += ROW;
    }
    if (weights.length) { stacked(g, weights, top, WEIGHTS - 10, x); top += WEIGHTS; }
    // timeline keys, the rendered part, the current frame
    g.strokeStyle = "rgba(255,255,255,0.25)";
    g.setLineDash([3, 3]);
    for (const k of c.timeline_keys) { g.beginPath(); g.moveTo(x(k), PAD); g.lineTo(x(k), top - 10); g.stroke(); }
    g.setLineDash([]);
    g.fillStyle = "rgba(79,163,255,0.5)";
    g.fillRect(LEFT, top - 6, Math.max(0, x(view.status.rendered - 1) - LEFT), 3);
    if (view.current >= 0) {
      g.strokeStyle = "#ff6b6b";
      g.beginPath(); g.moveTo(x(view.current), PAD); g.lineTo(x(view.current), top - 6); g.stroke();
    }
    g.fillStyle = "#9aa0a6";
    g.fillText("frame " + c.start, LEFT, top + 10);
    const end = "frame " + (c.stop - 1) + " \u00b7 " + ((c.stop - 1) / c.fps).toFixed(1) + " s";
    g.fillText(end, width - PAD - g.measureText(end).width, top + 10);
    legend(weights);
    const constants = c.series.filter((s) => s.group !== "weight" && s.constant);
    $("constants").textContent = constants.length
      ? "constant: " + constants.map((s) => s.name + " " + +s.values[0].toPrecision(6)).join(", ") : "";
  }

  function valueAt(s, frame) {
    const frames = view.curves.frames;
    let lo = 0, hi = frames.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (frames[mid] < frame) lo = mid + 1; else hi = mid; }
    return s.values[lo];
  }

  function row(g, s, top, h, x, width) {
    const min = Math.min(...s.values), max = Math.max(...s.values), range = max - min || 1;
    const y = (v) => top + h - ((v - min) / range) * h;
    g.fillStyle = "#e6e6e6";
    g.fillText(s.name, PAD, top + 12);
    g.fillStyle = "#9aa0a6";
    g.fillText(fmt(max), PAD, top + 24);
    g.fillText(fmt(min), PAD, top + h);
    if (view.current >= 0) g.fillText("now " + fmt(valueAt(s, view.current)), PAD + 50, top + 24);
    g.strokeStyle = "rgba(255,255,255,0.08)";
    g.strokeRect(LEFT, top, width - LEFT - PAD, h);
    g.strokeStyle = COLORS[0];
    g.beginPath();
    view.curves.frames.forEach((f, i) => (i ? g.lineTo(x(f), y(s.values[i])) : g.moveTo(x(f), y(s.values[i]))));
    g.stroke();
    g.fillStyle = "#ff6b6b";
    for (const [k, v] of s.keys) { g.beginPath(); g.arc(x(k), y(v), 3, 0, 2 * Math.PI); g.fill(); }
  }

  function stacked(g, weights, top, h, x) {
    const frames = view.curves.frames, base = new Array(frames.length).fill(0);
    weights.forEach((s, n) => {
      g.fillStyle = COLORS[n % COLORS.length] + "cc";
      g.beginPath();
      frames.forEach((f, i) => (i ? g.lineTo(x(f), top + h - (base[i] + s.values[i]) * h)
                                  : g.moveTo(x(f), top + h - (base[i] + s.values[i]) * h)));
      for (let i = frames.length - 1; i >= 0; i--) g.lineTo(x(frames[i]), top + h - base[i] * h);
      g.closePath();
      g.fill();
      frames.forEach((f, i) => { base[i] += s.values[i]; });
    });
    g.fillStyle = "#e6e6e6";
    g.fillText("conditioning", PAD, top + 12);
    if (view.current >= 0) {  // the mix at the current frame, largest share first
      const shares = weights.map((s) => [valueAt(s, view.current), s.name]).filter(([v]) => v > 0.005)
        .sort((a, b) => b[0] - a[0]).slice(0, 3);
      g.fillStyle = "#9aa0a6";
      shares.forEach(([v, name], i) => g.fillText(clip(g, (v * 100).toFixed(0) + "% " + name, LEFT - PAD - 4),
                                                   PAD, top + 26 + 12 * i));
    }
  }

  function legend(weights) {
    const box = $("legend"), names = weights.map((s) => s.name).join("\n");
    if (box.dataset.names === names) return;  // (redrawn on every frame: rebuilt only when it changes)
    box.dataset.names = names;
    box.replaceChildren();
    weights.forEach((s, n) => {
      const item = document.createElement("span"), swatch = document.createElement("i");
      swatch.style.background = COLORS[n % COLORS.length];
      item.append(swatch, s.name);  // text, never HTML
      box.appendChild(item);
    });
  }

  function clip(g, text, room) {
    while (text.length > 1 && g.measureText(text).width > room) text = text.slice(0, -2) + "\u2026";
    return text;
  }

  function fmt(v) { return Math.abs(v) >= 1000 ? v.toFixed(0) : String(+v.toPrecision(4)); }

  canvas.addEventListener("click", (e) => {
    const c = view.curves;
    if (!c) return;
    const rect = canvas.getBoundingClientRect();
    const span = Math.max(1, c.stop - 1 - c.start);
    const frame = Math.round(c.start + ((e.clientX - rect.left - LEFT) / (rect.width - LEFT - PAD)) * span);
    stop(); $("live").checked = false; show(frame);
  });
  window.addEventListener("resize", drawCurves);

  // -- events -------------------------------------------------------------------------
  const events = new EventSource("/events");
  events.addEventListener("status", (e) => {
    setStatus(JSON.parse(e.data));
    if ($("live").checked && view.status.rendered > 0) show(view.status.rendered - 1);  // even if its event was missed
    drawCurves();
  });
  // A frame asked for a moment before the server could give it (a 404, a dropped connection) is
  // asked for again, a few times, rather than left broken.
  img.addEventListener("error", () => {
    const key = img.dataset.key, tries = Number(img.dataset.tries || 0);
    if (!key || tries >= 10) return;
    setTimeout(() => {
      if (img.dataset.key !== key) return;  // another frame is shown meanwhile
      img.dataset.tries = String(tries + 1);
      img.src = frameURL(Number(img.dataset.index)) + "&try=" + (tries + 1);
    }, 300);
  });
  events.addEventListener("pass", (e) => {
    const data = JSON.parse(e.data);
    view.pass = data.pass;
    view.keys = view.keys.slice(0, data.rendered);  // later frames are the old plan's until re-rendered
    setStatus(data);
    refresh();
  });
  events.addEventListener("frame", (e) => {
    const data = JSON.parse(e.data);
    view.keys[data.index] = data.key;
    setStatus(data);
    if ($("live").checked) show(data.index);
  });
  events.addEventListener("error", () => { $("state").textContent = "reconnecting"; });
  events.addEventListener("open", () => { view.pass = null; refresh(); });
})();
