// DOM helpers: elements are built from data with text nodes only (never parsed HTML), and the API's
// errors are shown where they belong: field errors next to their field, anything else plainly.

import { ApiError } from "./api.js";

/** ``h("a", {href: "#/"}, "text", child)``: attributes, ``on*`` listeners, then children. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "className") element.className = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let unique = 0;
/** A labelled control: ``<div class="field"><label for=id>…</label>control<span error slot></div>``. */
export function field(labelText, control, name) {
  unique += 1;
  control.id = control.id || `f${unique}`;
  const slot = h("span", { className: "field-error", "data-error-for": name || "", id: `${control.id}-error` });
  control.setAttribute("aria-describedby", slot.id);
  return h("div", { className: "field" }, h("label", { for: control.id }, labelText), control, slot);
}

export function relativeTime(iso) {
  if (!iso) return "—";
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(-Math.round(seconds / size), unit);
  }
  return "just now";
}

export function time(iso) {
  return iso ? h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, relativeTime(iso)) : "—";
}

/** Flatten DRF-style errors ``{"statusDetails": {"ignoreDuration": ["…"]}}`` to [[name, message]]. */
function flatten(body, prefix = []) {
  if (Array.isArray(body)) return body.map((message) => [prefix, String(message)]);
  if (body && typeof body === "object") {
    return Object.entries(body).flatMap(([key, value]) => flatten(value, [...prefix, key]));
  }
  return [[prefix, String(body)]];
}

/** Show ``error`` inside ``container``: field errors next to the fields that declare their names. */
export function showError(container, error) {
  for (const slot of container.querySelectorAll("[data-error-for]")) slot.textContent = "";
  container.querySelector(":scope > .error")?.remove();
  const general = [];
  if (error instanceof ApiError && error.status === 400 && error.body && typeof error.body === "object"
      && !("detail" in error.body)) {
    for (const [path, message] of flatten(error.body)) {
      const slot = path.map((_, i) => path.slice(i).join("."))
        .map((name) => container.querySelector(`[data-error-for="${CSS.escape(name)}"]`))
        .find(Boolean);
      if (slot) slot.textContent = message;
      else general.push(`${path.join(".") || "Error"}: ${message}`);
    }
  } else {
    general.push(describe(error));
  }
  if (general.length) {
    container.prepend(h("div", { className: "error", role: "alert" }, general.join(" ")));
  }
}

/** What a person should read for an error: the API's own detail, with its status for 403/404. */
export function describe(error) {
  if (error instanceof ApiError) {
    const label = { 401: "Not signed in", 403: "Permission denied", 404: "Not found" }[error.status];
    return label ? `${label} (${error.status}): ${error.message}` : `${error.status}: ${error.message}`;
  }
  return `Could not reach the API: ${error.message}`;
}

export function errorPage(main, error) {
  main.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { className: "error", role: "alert" }, describe(error)));
}

/** Run ``action`` with the button disabled (progress shows meanwhile); errors land in ``container``. */
export async function busy(button, container, action) {
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    showError(container, error);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export function notice(container, text) {
  container.querySelector(":scope > .notice")?.remove();
  container.prepend(h("p", { className: "notice", role: "status" }, text));
}

/** An SVG sparkline of counts (oldest first), with a text alternative. */
export function sparkline(counts, label) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 96, height = 24;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const baseline = document.createElementNS(ns, "rect");
  for (const [name, value] of [["x", 0], ["y", height - 1], ["width", width], ["height", 1], ["fill", "#c9c3d6"]]) {
    baseline.setAttribute(name, value);
  }
  svg.append(baseline);
  const max = Math.max(1, ...counts);
  const step = counts.length ? width / counts.length : width;
  counts.forEach((count, i) => {
    const bar = document.createElementNS(ns, "rect");
    const barHeight = Math.max(count ? 2 : 0, (count / max) * height);
    bar.setAttribute("x", (i * step).toFixed(1));
    bar.setAttribute("y", (height - barHeight).toFixed(1));
    bar.setAttribute("width", Math.max(1, step - 1).toFixed(1));
    bar.setAttribute("height", barHeight.toFixed(1));
    bar.setAttribute("fill", "#6c47c9");
    svg.append(bar);
  });
  return svg;
}
