// RFC 6238 codes from the activation's OATH seed, computed with WebCrypto.

const HASHES = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" };

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const clean = text.toUpperCase().replace(/[\s=]/g, "");
  const out = [];
  let bits = 0, value = 0;
  for (const ch of clean) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error("the OATH secret is not base32");
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return new Uint8Array(out);
}

// The seed as a non-extractable HMAC key, and the parameters needed with it.
export async function importSeed(oath) {
  const hash = HASHES[(oath.algorithm || "sha1").toLowerCase()];
  if (!hash) throw new Error(`unknown OATH algorithm ${oath.algorithm}`);
  const key = await crypto.subtle.importKey("raw", base32(oath.secret), { name: "HMAC", hash }, false, ["sign"]);
  return { key, digits: oath.digits || 6, period: oath.period || 30 };
}

export async function code(seed, nowMs = Date.now()) {
  const step = Math.floor(nowMs / 1000 / seed.period);
  const counter = new DataView(new ArrayBuffer(8));
  counter.setUint32(0, Math.floor(step / 2 ** 32));
  counter.setUint32(4, step >>> 0);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", seed.key, counter.buffer));
  const offset = mac[mac.length - 1] & 15;
  const binary = ((mac[offset] & 127) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  const value = String(binary % 10 ** seed.digits).padStart(seed.digits, "0");
  const remaining = seed.period - (Math.floor(nowMs / 1000) % seed.period);
  return { value, remaining };
}
