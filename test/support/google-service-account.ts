import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/**
 * Writes a Google service account key of the right shape (client email and an RSA private key) that never signs
 * anything here: tests and benchmarks give the service its Chat API (or a fake that takes a fixed token), and no
 * school has a Google admin set, so the Admin SDK reads the same key would sign never run. Production mode only
 * insists the file is a real key.
 */
export function writeUnusedServiceAccountKey(file: string): void {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(file, JSON.stringify({ type: 'service_account', client_email: 'unused@example.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) }));
}
