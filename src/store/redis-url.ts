/** Store URLs: `redis://`, `rediss://`, and `redis+cluster://h1:p1,h2:p2,...`; masking their passwords. */

/** Whether `url` names a Redis Cluster: redis+cluster:// or rediss+cluster://. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//i.test(url);
}

/** What a redis+cluster:// URL says: the startup nodes, credentials and whether to use TLS. */
export interface ClusterUrl {
  nodes: Array<{ host: string; port: number }>;
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/**
 * Parses `redis+cluster://[user:password@]host:port,host:port[,...][/]` (or `rediss+cluster://`, TLS);
 * hosts may be `[v6]:port`, the port defaults to 6379, credentials are percent-decoded. A cluster has
 * database 0 only, so no other path is taken. Throws with a message that holds no password.
 */
export function parseClusterUrl(url: string): ClusterUrl {
  const match = /^(rediss?)\+cluster:\/\/(?:(.*)@)?([^@/?#]+)\/?(?:0)?$/i.exec(url.trim());
  if (!match) throw new Error("expected redis+cluster://[user:password@]host:port,host:port,...");
  const [, scheme, credentials, hostList] = match as unknown as [string, string, string | undefined, string];
  const nodes = hostList.split(",").map((node, i) => {
    const parts = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(node.trim());
    const port = Number(parts?.[3] ?? 6379);
    // Not the node's text: a URL missing its "@" would show the password here.
    if (!parts || port < 1 || port > 65535)
      throw new Error(`bad cluster node #${i + 1} (expected host:port)`);
    return { host: (parts[1] ?? parts[2]) as string, port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (credentials !== undefined) {
    const colon = credentials.indexOf(":");
    const user = colon < 0 ? credentials : credentials.slice(0, colon);
    username = user === "" ? undefined : decodeURIComponent(user);
    password = colon < 0 ? undefined : decodeURIComponent(credentials.slice(colon + 1));
  }
  return { nodes, username, password, tls: scheme.toLowerCase() === "rediss" };
}

/** The URL with any password masked, for messages. */
export function withoutPassword(url: string): string {
  if (isClusterUrl(url)) {
    // Not a WHATWG URL (several hosts): mask what sits between the user's colon and the last @.
    const at = url.lastIndexOf("@");
    if (at < 0) return url;
    const scheme = url.indexOf("://") + 3;
    const colon = url.indexOf(":", scheme);
    return colon >= 0 && colon < at ? `${url.slice(0, colon)}:***${url.slice(at)}` : url;
  }
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the configured URL";
  }
}
