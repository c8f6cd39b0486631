/**
 * Pieces the admin pages share: the page heading, a line that reports what an action did, the in-page
 * confirmation before anything destructive (a real button, Escape or Cancel backs out; no window.confirm),
 * the box that shows a secret once with a Copy button, and downloads made in the page.
 */
import { localTime, relative } from "../lib/admin-format.js";
import { ApiFailure } from "../lib/api.js";
import { type Child, h } from "../lib/dom.js";

/** The page's title, a line saying what the page is for, and actions on the right. */
export function pageHeading(title: Child, lead: Child, ...aside: Child[]): HTMLElement {
  return h(
    "div",
    { class: "admin-head" },
    h("div", null, h("h1", null, title), lead ? h("p", { class: "lead" }, lead) : null),
    aside.length > 0 ? h("div", { class: "admin-head-aside" }, aside) : null,
  );
}

/** A section with a heading (h2), its id for aria-labelledby. */
export function section(id: string, title: Child, ...children: Child[]): HTMLElement {
  return h("section", { class: "admin-section", "aria-labelledby": id }, h("h2", { id }, title), children);
}

/** What an API failure says, in one sentence for the notice line. */
export function failureText(error: unknown): string {
  if (error instanceof ApiFailure) {
    const message = error.message || `HTTP ${error.status}`;
    return error.status === 0 ? message : `${message} (HTTP ${error.status})`;
  }
  return error instanceof Error ? error.message : String(error);
}

export interface Notice {
  element: HTMLElement;
  /** Shows what happened; an error is announced at once and stays until the next notice. */
  say(text: Child, kind?: "ok" | "error"): void;
  clear(): void;
}

/** The line above a table that reports the last action: announced to screen readers, never a pop-up. */
export function notice(): Notice {
  const element = h("div", { class: "admin-notice", "aria-live": "polite" });
  element.hidden = true;
  return {
    element,
    say(text, kind = "ok") {
      element.hidden = false;
      element.className = `admin-notice ${kind}`;
      element.replaceChildren(h("p", { role: kind === "error" ? "alert" : "status" }, text));
    },
    clear() {
      element.hidden = true;
      element.replaceChildren();
    },
  };
}

/** Disables a button and says what is going on while `work` runs; puts it back after. */
export async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const before = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = before;
  }
}

export interface ConfirmOptions {
  /** The question, naming what goes: "Revoke token ci?". */
  question: string;
  /** The confirming button's words: "Revoke". */
  confirm: string;
  /** Its words while the action runs: "Revoking…". */
  working: string;
  /** The action; the page redraws what changed. */
  run: () => Promise<void>;
  /** A failed action (the trigger is back and focused). */
  failed: (error: unknown) => void;
}

/**
 * Makes `trigger` ask first: a click replaces it with the question, a danger button and Cancel (focused,
 * so a second Enter does not confirm by accident). Escape or Cancel goes back to the trigger.
 */
export function confirmFirst(trigger: HTMLButtonElement, options: ConfirmOptions): HTMLButtonElement {
  trigger.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: "danger" }, options.confirm);
    const no = h("button", { type: "button", class: "secondary" }, "Cancel");
    const box = h(
      "span",
      { class: "confirm", role: "group", "aria-label": options.question },
      h("span", { class: "confirm-question" }, options.question),
      yes,
      no,
    );
    const back = () => {
      box.remove();
      trigger.hidden = false;
      trigger.focus();
    };
    no.addEventListener("click", back);
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !yes.disabled) back();
    });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      no.disabled = true;
      yes.textContent = options.working;
      try {
        await options.run();
      } catch (error) {
        back();
        options.failed(error);
      }
    });
    trigger.hidden = true;
    trigger.after(box);
    no.focus();
  });
  return trigger;
}

/** Copies text; where the clipboard is not available (plain http), selects it for Ctrl+C instead. */
async function copyText(text: string, shown: HTMLElement, button: HTMLButtonElement, status: HTMLElement) {
  try {
    if (!navigator.clipboard) throw new Error("no clipboard here");
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
    status.textContent = "Copied to the clipboard.";
  } catch {
    const range = document.createRange();
    range.selectNodeContents(shown);
    const selection = getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    status.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy it.";
  }
  setTimeout(() => {
    button.textContent = "Copy";
  }, 2500);
}

export interface SecretBox {
  element: HTMLElement;
  /** Moves the focus to the Copy button (after the action that made the secret). */
  focus(): void;
}

/**
 * A secret shown once: highlighted, with a Copy button and the warning that it cannot be shown again.
 * "Done" removes it from the page (and from memory: nothing else holds it).
 */
export function secretBox(options: {
  id: string;
  title: Child;
  label: string;
  secret: string;
  note: Child;
  extra?: Child;
  done: () => void;
}): SecretBox {
  const shown = h("code", { class: "secret-value", id: `${options.id}-value` }, options.secret);
  const copy = h(
    "button",
    { type: "button", class: "copy", "aria-describedby": `${options.id}-value` },
    "Copy",
  );
  const status = h("span", { class: "copy-status", role: "status" });
  copy.addEventListener("click", () => void copyText(options.secret, shown, copy, status));
  const done = h("button", { type: "button", class: "secondary" }, "Done, hide it");
  done.addEventListener("click", () => options.done());
  const element = h(
    "section",
    { class: "secret", id: options.id, "aria-labelledby": `${options.id}-title` },
    h("h3", { id: `${options.id}-title` }, options.title),
    h("p", { class: "secret-label" }, options.label),
    h("div", { class: "secret-row" }, shown, copy, status),
    h("p", { class: "secret-note" }, h("strong", null, "Copy it now: "), options.note),
    options.extra ?? null,
    h("div", { class: "secret-actions" }, done),
  );
  return { element, focus: () => copy.focus() };
}

/** Saves bytes as a file: a blob: link clicked in the page (the CSP allows blob:, nothing leaves). */
export function download(bytes: Uint8Array<ArrayBuffer>, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const anchor = h("a", { href: url, download: name, class: "hidden-download" });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A labelled input: the label above, a hint below it tied with aria-describedby. */
export function field(
  id: string,
  label: string,
  control: HTMLInputElement | HTMLSelectElement,
  hint?: Child,
): HTMLElement {
  control.id = id;
  if (hint) control.setAttribute("aria-describedby", `${id}-hint`);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "field-hint", id: `${id}-hint` }, hint) : null,
  );
}

/** A status badge: `ok` green, `bad` red, `warn` amber, plain otherwise. */
export function badge(text: string, kind?: "ok" | "bad" | "warn"): HTMLElement {
  return h("span", { class: kind ? `badge ${kind}` : "badge" }, text);
}

/** A time with how long ago in a second line, the exact UTC time as its tooltip. */
export function timeCell(iso: string | null | undefined, empty = "—"): HTMLElement {
  if (!iso) return h("td", { class: "time muted" }, empty);
  const ago = relative(iso);
  return h(
    "td",
    { class: "time" },
    h("time", { datetime: iso, title: iso }, localTime(iso)),
    ago ? h("span", { class: "ago" }, ago) : null,
  );
}
