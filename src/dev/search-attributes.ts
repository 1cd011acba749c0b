/** Registers the engine's custom search attributes on a server that does not have them yet. */
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from 'pino';
import { searchAttributeDefinitions } from '../contract/search-attributes.js';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const indexedTypes = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;

/** Adds whichever engine search attributes the namespace lacks; returns the names it added. */
export async function ensureSearchAttributes(
  address: string,
  namespace: string,
  logger: Logger,
  connection?: Connection,
): Promise<string[]> {
  const conn = connection ?? (await Connection.connect({ address }));
  try {
    const existing = await conn.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = Object.entries(searchAttributeDefinitions).filter(([name]) => !known.has(name));
    if (missing.length === 0) return [];
    await conn.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedTypes[type]])),
    });
    const names = missing.map(([name]) => name);
    logger.info({ namespace, added: names }, 'registered search attributes');
    return names;
  } finally {
    if (!connection) await conn.close();
  }
}
