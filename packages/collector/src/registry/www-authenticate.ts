/**
 * `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"`
 * or `Basic realm="…"`, possibly several in one header (fetch joins repeated
 * headers with ", "). Scheme and parameter names are case-insensitive and come
 * back lowercase; token68 credentials (`Negotiate abc==`) are skipped.
 */

export interface AuthChallenge {
  /** Lowercase: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercase, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let pos = 0;
  const skip = (chars: RegExp) => {
    while (pos < header.length && chars.test(header.charAt(pos))) pos++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = pos;
    const match = TOKEN.exec(header);
    if (match === null) return undefined;
    pos += match[0].length;
    return match[0];
  };
  const quoted = (): string => {
    let value = "";
    pos++; // opening quote
    while (pos < header.length && header.charAt(pos) !== '"') {
      if (header.charAt(pos) === "\\") pos++;
      value += header.charAt(pos);
      pos++;
    }
    pos++; // closing quote
    return value;
  };

  while (pos < header.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (scheme === undefined) {
      pos++; // not a token: skip the character and look for the next challenge
      continue;
    }
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      skip(/[\s,]/);
      const start = pos;
      const name = token();
      skip(/\s/);
      if (name === undefined || header.charAt(pos) !== "=") {
        pos = start; // the next challenge's scheme
        break;
      }
      pos++;
      skip(/\s/);
      if (header.charAt(pos) === "=") {
        // token68 ("abc==") rather than a parameter: skip to the next comma.
        while (pos < header.length && header.charAt(pos) !== ",") pos++;
        continue;
      }
      const value = header.charAt(pos) === '"' ? quoted() : (token() ?? "");
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return challenges;
}
