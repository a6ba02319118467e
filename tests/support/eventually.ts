/** Reads until `check` holds (events and background work are asynchronous) or `ms` pass; returns the last value read, for the test to assert on. */
export async function eventually<T>(read: () => Promise<T> | T, check: (v: T) => boolean, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms
  let v = await read()
  while (!check(v) && Date.now() < deadline) {
    await Bun.sleep(20)
    v = await read()
  }
  return v
}
