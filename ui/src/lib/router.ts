/**
 * Pages by URL: the path picks the page and the query string holds its state (`/ui/search?q=...`), so
 * every page can be shared, reloaded and reached with Back. Links are real `<a href>` (open in a new tab
 * works); a plain click is handled here without reloading the page.
 */
import { type Attrs, type Child, h } from "./dom.js";

export interface Route {
  /** The path under /ui, without a trailing slash: "" for the home page, "/search", "/admin/users"... */
  path: string;
  params: URLSearchParams;
}

const BASE = "/ui";

export function currentRoute(): Route {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return { path: path.replace(/\/+$/, ""), params: new URLSearchParams(location.search) };
}

const listeners: Array<() => void> = [];
export function onRouteChange(listener: () => void): void {
  listeners.push(listener);
}
window.addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

/** Goes to a page of the app (an href as made by href()). */
export function navigate(target: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", target);
  else history.pushState(null, "", target);
  for (const listener of listeners) listener();
}

/** The href of a page: path under /ui and query parameters (empty ones left out). */
export function href(path: string, params: Record<string, string | number | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return `${BASE}${path}${text ? `?${text}` : ""}`;
}

/** The page that searches a value (every value shown is a link to this). */
export function searchHref(value: string, params: Record<string, string | undefined> = {}): string {
  return href("/search", { q: value, ...params });
}

/** A link to a page of the app. */
export function link(target: string, attrs: Attrs | null, ...children: Child[]): HTMLAnchorElement {
  const anchor = h("a", { ...attrs, href: target }, ...children);
  anchor.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(target);
  });
  return anchor;
}

/** A link that searches a value: how every name, address and hash on a page is shown. */
export function pivot(value: string, label: Child = value, attrs: Attrs = {}): HTMLAnchorElement {
  return link(searchHref(value), { class: "pivot", title: `Search ${value}`, ...attrs }, label);
}
