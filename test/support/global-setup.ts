/** Fetches the host tools the suite needs (Debian packages) once, before any test runs. */
import { ensureDebianTools } from './debian';

export default async function globalSetup(): Promise<void> {
  ensureDebianTools();
}
