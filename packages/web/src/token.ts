/**
 * The collector's token, kept in sessionStorage: it lives as long as the tab,
 * is never written to the URL or localStorage, and is sent only to this page's
 * own origin (relative API URLs).
 */
const KEY = "imagedrift.token";

export class TokenStore {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: Storage) {}

  get(): string | null {
    try {
      return this.storage.getItem(KEY) || null;
    } catch {
      return null;
    }
  }

  set(token: string): void {
    this.storage.setItem(KEY, token.trim());
    this.notify();
  }

  clear(): void {
    this.storage.removeItem(KEY);
    this.notify();
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
