/**
 * The web pages' entry: the header (search box, admin links, user), the page for the URL, and sign-in
 * whenever there is no valid session. Pages: home, search (any value: see lib/classify.ts), and for
 * admins users, a user's tokens and quota, the audit log and sensors.
 */
import { onSignedOut } from "./lib/api.js";
import { h, show } from "./lib/dom.js";
import { currentRoute, link, navigate, onRouteChange, searchHref } from "./lib/router.js";
import { currentSession, endSession, type Session } from "./lib/session.js";
import { empty } from "./lib/states.js";
import { renderAudit } from "./views/admin-audit.js";
import { renderSensors } from "./views/admin-sensors.js";
import { renderUser } from "./views/admin-user.js";
import { renderUsers } from "./views/admin-users.js";
import { renderHome } from "./views/home.js";
import { renderSearch } from "./views/search.js";
import { renderSignIn } from "./views/sign-in.js";
import type { View } from "./views/view.js";

const app = document.getElementById("app") as HTMLElement;
let leaving: AbortController | undefined;
let signedOutNotice: string | undefined;

/** The page for a path, and whether only admins see it. */
function viewOf(path: string): { view: View; admin: boolean; title: string } | undefined {
  if (path === "") return { view: renderHome, admin: false, title: "Search" };
  if (path === "/search") return { view: renderSearch, admin: false, title: "Search" };
  if (path === "/admin/users") return { view: renderUsers, admin: true, title: "Users" };
  if (path.startsWith("/admin/users/")) return { view: renderUser, admin: true, title: "User" };
  if (path === "/admin/audit") return { view: renderAudit, admin: true, title: "Audit log" };
  if (path === "/admin/sensors") return { view: renderSensors, admin: true, title: "Sensors" };
  return undefined;
}

function header(session: Session, path: string, query: string): HTMLElement {
  const input = h("input", {
    id: "search-box",
    type: "search",
    name: "q",
    value: query,
    placeholder: "name, *.domain, address, 192.0.2.0/24, SHA-1/SHA-256, JA3",
    "aria-label": "Search",
    autocomplete: "off",
    spellcheck: "false",
  });
  const form = h(
    "form",
    { class: "search-form", role: "search" },
    input,
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value.trim() !== "") navigate(searchHref(input.value.trim()));
  });
  const navLink = (target: string, label: string, prefix: string) =>
    link(
      target,
      {
        class: path.startsWith(prefix) ? "current" : undefined,
        "aria-current": path.startsWith(prefix) ? "page" : undefined,
      },
      label,
    );
  const signOut = h("button", { type: "button", class: "link-button" }, "Sign out");
  signOut.addEventListener("click", () => {
    endSession();
    render();
  });
  return h(
    "header",
    { class: "top" },
    link("/ui/", { class: "brand" }, "pdns-pssl"),
    form,
    h(
      "nav",
      { "aria-label": "Pages" },
      session.role === "admin"
        ? [
            navLink("/ui/admin/users", "Users", "/admin/users"),
            navLink("/ui/admin/audit", "Audit", "/admin/audit"),
            navLink("/ui/admin/sensors", "Sensors", "/admin/sensors"),
          ]
        : null,
      h("span", { class: "who", title: `role: ${session.role}` }, session.user),
      signOut,
    ),
  );
}

function render(): void {
  leaving?.abort();
  leaving = new AbortController();
  const session = currentSession();
  if (!session) {
    const notice = signedOutNotice;
    signedOutNotice = undefined;
    renderSignIn(app, render, notice);
    document.title = "Sign in · pdns-pssl";
    return;
  }
  const route = currentRoute();
  const main = h("main", { id: "main", tabindex: "-1" });
  show(app, header(session, route.path, route.path === "/search" ? (route.params.get("q") ?? "") : ""), main);
  const page = viewOf(route.path);
  if (!page) {
    show(main, empty("There is no such page.", link("/ui/", null, "Go to the search page")));
    return;
  }
  if (page.admin && session.role !== "admin") {
    show(main, empty("This page is for admins.", link("/ui/", null, "Go to the search page")));
    return;
  }
  const q = route.params.get("q");
  document.title = `${q ? `${q} · ` : ""}${page.title} · pdns-pssl`;
  void Promise.resolve(page.view({ root: main, route, session, signal: leaving.signal })).catch((error) => {
    console.error(error);
  });
}

onSignedOut((reason) => {
  signedOutNotice = `Signed out: ${reason || "the session ended"}. Sign in again to go on.`;
  render();
});
onRouteChange(render);

// "/" focuses the search box, as on most search pages.
document.addEventListener("keydown", (event) => {
  const target = event.target as HTMLElement | null;
  if (event.key !== "/" || target?.closest("input, textarea, select")) return;
  const box = document.getElementById("search-box");
  if (box) {
    event.preventDefault();
    box.focus();
  }
});

render();
