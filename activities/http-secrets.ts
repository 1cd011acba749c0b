/**
 * Keeps resolved secrets out of what a connector call records (activity result, failure messages,
 * logs): every env value and auth credential that went into a request is replaced by a label.
 */

/** Values shorter than this are not treated as secrets: scrubbing `1` or `on` would garble every body. */
export const MIN_SECRET_LENGTH = 4;

/** Collects secret values of one request and removes them from text. */
export class SecretScrubber {
  private readonly secrets = new Map<string, string>();

  /** Remembers `value` as a secret, shown as `[label]` wherever it would appear. */
  add(value: string, label: string): void {
    if (value.length >= MIN_SECRET_LENGTH && !this.secrets.has(value)) this.secrets.set(value, label);
  }

  /** `text` with every known secret (and its URL-encoded form) replaced by its label. */
  scrub(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is replaced whole.
    const ordered = [...this.secrets].sort(([a], [b]) => b.length - a.length);
    for (const [value, label] of ordered) {
      const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
      for (const form of forms) out = out.split(form).join(`[${label}]`);
    }
    return out;
  }
}
