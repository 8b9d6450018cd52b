// The wallet's vault: the holder secret and credentials, sealed with AES-256-GCM under a key that
// PBKDF2-SHA256 derives from the passphrase, kept in IndexedDB. Nothing here talks to the network.
//
// Stored record (also the backup file's content, so a backup is exactly as safe as the device copy):
//   {format: "zkelig-wallet", version: 1,
//    kdf: {name: "PBKDF2", hash: "SHA-256", iterations, salt},   salt: 16 random bytes, base64
//    cipher: {name: "AES-GCM", iv},                              iv: 12 random bytes, fresh per save
//    ciphertext}                                                 base64 of the sealed JSON content
// The header (format, version, kdf) is bound as additional authenticated data, so lowering the
// iteration count in a stolen copy makes it fail to open rather than open faster.

export const KDF_ITERATIONS = 600_000; // OWASP's 2023 figure for PBKDF2-HMAC-SHA256
const MIN_ITERATIONS = 100_000; // a restored backup below this is refused as tampered or foreign
const FORMAT = "zkelig-wallet";
const VERSION = 1;
const DB_NAME = "zkelig-wallet";
const STORE = "vault";
const RECORD_KEY = "main";

export class WrongPassphrase extends Error {
  constructor() { super("That passphrase does not open this wallet."); }
}
export class BadBackup extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBase64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const readRecord = () => withStore("readonly", (s) => s.get(RECORD_KEY));
const writeRecord = (record) => withStore("readwrite", (s) => s.put(record, RECORD_KEY));

/** True when this device already holds a sealed wallet. */
export async function hasVault() {
  return (await readRecord()) !== undefined;
}

function header(record) {
  return encoder.encode(JSON.stringify({ format: record.format, version: record.version, kdf: record.kdf }));
}

async function deriveKey(passphrase, kdf) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(passphrase), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: fromBase64(kdf.salt), iterations: kdf.iterations },
    material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/** An open vault: the derived key (not extractable) stays in memory while the page is open. */
export class Vault {
  constructor(key, kdf, content) {
    this.key = key;
    this.kdf = kdf;
    this.content = content;
  }

  async seal() {
    const record = { format: FORMAT, version: VERSION, kdf: this.kdf };
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = encoder.encode(JSON.stringify(this.content));
    const params = { name: "AES-GCM", iv, additionalData: header(record) };
    const sealed = await crypto.subtle.encrypt(params, this.key, plain);
    return { ...record, cipher: { name: "AES-GCM", iv: toBase64(iv) }, ciphertext: toBase64(new Uint8Array(sealed)) };
  }

  /** Seal the current content and replace the device copy. */
  async save() {
    await writeRecord(await this.seal());
  }
}

/** A new vault sealing `content` under `passphrase`; replaces any vault on the device. */
export async function createVault(passphrase, content, iterations = KDF_ITERATIONS) {
  const salt = toBase64(crypto.getRandomValues(new Uint8Array(16)));
  const kdf = { name: "PBKDF2", hash: "SHA-256", iterations, salt };
  const vault = new Vault(await deriveKey(passphrase, kdf), kdf, content);
  await vault.save();
  return vault;
}

function checkRecord(record) {
  const ok = record && record.format === FORMAT && record.version === VERSION && record.kdf
    && record.kdf.name === "PBKDF2" && record.kdf.hash === "SHA-256" && Number.isInteger(record.kdf.iterations)
    && record.kdf.iterations >= MIN_ITERATIONS && record.kdf.iterations <= 10_000_000
    && typeof record.kdf.salt === "string" && record.cipher && record.cipher.name === "AES-GCM"
    && typeof record.cipher.iv === "string" && typeof record.ciphertext === "string";
  if (!ok) throw new BadBackup("This file is not a zkelig wallet backup.");
}

async function openRecord(record, passphrase) {
  checkRecord(record);
  const key = await deriveKey(passphrase, record.kdf);
  let plain;
  try {
    plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(record.cipher.iv), additionalData: header(record) },
      key, fromBase64(record.ciphertext));
  } catch {
    throw new WrongPassphrase();
  }
  return new Vault(key, record.kdf, JSON.parse(decoder.decode(plain)));
}

/** Open the device's vault; throws WrongPassphrase. */
export async function unlockVault(passphrase) {
  const record = await readRecord();
  if (record === undefined) throw new BadBackup("There is no wallet on this device yet.");
  return openRecord(record, passphrase);
}

/** The backup file's text: the sealed record as stored (opening it needs the passphrase). */
export async function backupText() {
  const record = await readRecord();
  if (record === undefined) throw new BadBackup("There is no wallet on this device yet.");
  return JSON.stringify(record, null, 1);
}

/** Restore a backup file onto this device after checking that `passphrase` opens it. */
export async function restoreBackup(text, passphrase) {
  let record;
  try {
    record = JSON.parse(text);
  } catch {
    throw new BadBackup("This file is not a zkelig wallet backup.");
  }
  const vault = await openRecord(record, passphrase);
  await writeRecord(record);
  return vault;
}

/** Forget the wallet on this device (the backup file, if any, still opens with the passphrase). */
export function eraseVault() {
  return withStore("readwrite", (s) => s.delete(RECORD_KEY));
}
