/**
 * An endpoint as an operator may be shown it: scheme, host and path, without what may
 * authenticate to it (user info, a `?key=` query). Undefined when it is not a URL.
 */
export function displayUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}
