/** What a page shows while it waits, when there is nothing, and when something failed: each says what to do. */
import { ApiFailure } from "./api.js";
import { type Child, h, show } from "./dom.js";

/** A spinner with words, for anything slower than a moment. */
export function loading(what = "Loading…"): HTMLElement {
  return h(
    "div",
    { class: "state loading", role: "status" },
    h("span", { class: "spinner", "aria-hidden": "true" }),
    what,
  );
}

/** Nothing found, and what to try next. */
export function empty(message: string, hint?: Child): HTMLElement {
  return h(
    "div",
    { class: "state empty" },
    h("p", null, message),
    hint ? h("p", { class: "hint" }, hint) : null,
  );
}

/** An error in words: the server's message, and what to do about it. */
export function failure(error: unknown, retry?: () => void): HTMLElement {
  let message = "Something went wrong.";
  let hint = "Try again; if it keeps failing, the server's log has the details (look for the request id).";
  if (error instanceof ApiFailure) {
    message = error.message || `HTTP ${error.status}`;
    if (error.status === 0) hint = "Check that the server is running and reachable, then try again.";
    else if (error.status === 400) hint = "Check the value or the filters, then search again.";
    else if (error.status === 403) hint = "Your role may not see this page: ask an admin.";
    else if (error.status === 429)
      hint = "Your query quota is used up for now: wait, or ask an admin to raise it.";
    else if (error.status === 503) hint = "The server's store is not reachable right now: try again shortly.";
  } else if (error instanceof Error) {
    message = error.message;
  }
  return h(
    "div",
    { class: "state error", role: "alert" },
    h("p", null, h("strong", null, "Error: "), message),
    h("p", { class: "hint" }, hint),
    retry ? h("button", { type: "button", onclick: () => retry() }, "Try again") : null,
  );
}

/**
 * Fills `body` from `load`: a loading line saying `what`, then what `load` makes, or the error with a
 * "Try again" that runs it again (`explain` may turn an expected error into its own state). Nothing is
 * shown once the page is left (`signal` aborted).
 */
export function loadInto(
  body: HTMLElement,
  signal: AbortSignal,
  what: string,
  load: () => Promise<Child>,
  explain?: (error: unknown) => Child | undefined,
): void {
  const run = async () => {
    show(body, loading(what));
    try {
      const content = await load();
      if (!signal.aborted) show(body, content);
    } catch (error) {
      if (!signal.aborted) show(body, explain?.(error) ?? failure(error, () => void run()));
    }
  };
  void run();
}
