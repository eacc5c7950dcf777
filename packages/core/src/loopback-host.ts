/** Whether a registry host is this machine (loopback): the hosts the collector may reach over plain HTTP. */

/** Expands an IPv6 address (no brackets, no zone) into 8 numbers, or null. */
function ipv6Groups(address: string): number[] | null {
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const groups: number[] = [];
    for (const group of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
      groups.push(Number.parseInt(group, 16));
    }
    return groups;
  };
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Whether a registry host (with or without `:port`) is loopback: `localhost`, 127.0.0.0/8 or `[::1]`. */
export function isLoopbackHost(host: string): boolean {
  let name = host;
  if (name.startsWith("[")) {
    const close = name.indexOf("]");
    if (close < 0) return false;
    const rest = name.slice(close + 1);
    if (rest !== "" && !/^:[0-9]+$/.test(rest)) return false;
    name = name.slice(1, close);
  } else if (name.split(":").length === 2) {
    const [bare = "", port = ""] = name.split(":");
    if (!/^[0-9]+$/.test(port)) return false;
    name = bare;
  }
  if (name.toLowerCase() === "localhost") return true;
  if (name.includes(":")) {
    const groups = ipv6Groups(name);
    return groups?.every((g, i) => g === (i === 7 ? 1 : 0)) === true;
  }
  const octets = name.split(".");
  return octets.length === 4 && octets[0] === "127" && octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255);
}
