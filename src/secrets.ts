import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Credentials are stored encrypted (AES-256-GCM). The key comes from
 * CHANNELSYNC_SECRET, or is generated once into `<data>/secret.key` (mode 600).
 * Several machines sharing one PostgreSQL must share CHANNELSYNC_SECRET.
 */
export class SecretBox {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = crypto.createHash('sha256').update(secret).digest();
  }

  static fromEnvironment(dataDir: string): SecretBox {
    const fromEnv = process.env.CHANNELSYNC_SECRET;
    if (fromEnv) return new SecretBox(fromEnv);
    const file = path.join(dataDir, 'secret.key');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dataDir, { recursive: true });
      try {
        fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return new SecretBox(fs.readFileSync(file, 'utf8').trim());
  }

  /** A key for one purpose (signing, say), derived from the secret: the same in every process sharing it. */
  derive(purpose: string): Buffer {
    return crypto.createHmac('sha256', this.key).update(`channelsync:${purpose}`).digest();
  }

  encrypt(value: unknown): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt<T = unknown>(sealed: string): T {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1') throw new Error('Unknown secret format');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      throw new Error('Stored credentials cannot be decrypted: CHANNELSYNC_SECRET (or data/secret.key) changed since they were saved');
    }
  }
}
