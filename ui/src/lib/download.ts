/**
 * Saving text as a file from the page: a Blob behind a `blob:` link with `download` (the page's CSP
 * allows blob: URLs, and nothing goes back to the server).
 */

/** Starts the download of `text` as a file called `name`. */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = name;
  anchor.hidden = true;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  // The browser has taken the Blob once the click is handled; free it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/**
 * A link that downloads `text` when clicked (e.g. a certificate's PEM): a real `<a download>`, its Blob
 * freed when the page is left (`signal`).
 */
export function downloadLink(
  name: string,
  text: string,
  type: string,
  label: string,
  signal: AbortSignal,
): HTMLAnchorElement {
  const anchor = document.createElement("a");
  const url = URL.createObjectURL(new Blob([text], { type }));
  signal.addEventListener("abort", () => URL.revokeObjectURL(url), { once: true });
  anchor.href = url;
  anchor.download = name;
  anchor.className = "button-link";
  anchor.textContent = label;
  return anchor;
}
