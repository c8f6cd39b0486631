import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread on a module of this package. Built code (dist/*.js) loads directly; in
 * development and tests the module is TypeScript run through tsx, whose loader a worker does not
 * inherit, so the worker registers it first.
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions): Worker {
  if (!moduleUrl.pathname.endsWith(".ts")) return new Worker(moduleUrl, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const code =
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); ` +
    `return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}
