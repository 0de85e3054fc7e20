export function ensureDebianTools(): void {}
