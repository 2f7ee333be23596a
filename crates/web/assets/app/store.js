// Accounts kept in IndexedDB. The device key and the OATH key are
// non-extractable CryptoKeys: IndexedDB keeps them, no script can read them.
// Activation codes are never stored.

const DB = "countersign";
const ACCOUNTS = "accounts";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(ACCOUNTS, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(ACCOUNTS, mode);
      const request = work(tx.objectStore(ACCOUNTS));
      tx.oncomplete = () => resolve(request && request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const listAccounts = () => run("readonly", (s) => s.getAll());
export const getAccount = (id) => run("readonly", (s) => s.get(id));
export const putAccount = (account) => run("readwrite", (s) => s.put(account));
export const deleteAccount = (id) => run("readwrite", (s) => s.delete(id));
