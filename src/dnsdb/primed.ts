/**
 * Starts an async stream before its answer does: the first item is awaited up front, so an error the
 * stream raises at once (a bad cursor, an unsupported lookup) can still become an HTTP error status,
 * while later items are pulled only as the answer is read.
 */

/**
 * Awaits the first item of `source` (throwing what it throws) and returns a stream of every item,
 * that one first. Closing the returned stream closes the source.
 */
export async function primed<T>(source: AsyncIterable<T>): Promise<AsyncGenerator<T>> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  return replay(first, iterator);
}

async function* replay<T>(first: IteratorResult<T>, iterator: AsyncIterator<T>): AsyncGenerator<T> {
  try {
    if (first.done) return;
    yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}
