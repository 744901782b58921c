// A change of the file store: files of an org's folder replaced or removed, and a ledger line
// appended, written as ONE atomic unit (journal.ts). A concept of the file backend only: the ports
// (org-store.ts) speak of actions and ledger lines.
import type { LedgerRecord } from '../model/index.js';

/** A file of the org's folder to replace (content) or remove (null), relative to the org folder. */
export interface FileChange {
  path: string;
  content: string | null;
}

/** Files replaced and one ledger line appended; commitAll writes one change, or several in a row, as one unit. */
export interface StoreChange {
  files: FileChange[];
  /**
   * The ledger line appended with the files; or a function that builds it from the snapshot
   * digest the store will have right after the change (for ActionResult.storeDigest).
   */
  ledgerLine?: LedgerRecord | ((storeDigest: string) => LedgerRecord);
}
