/**
 * The engine's custom search attributes: typed keys for workflows and clients, and the
 * `--search-attribute` list the dev server registers at start. Usable from the Web UI's search
 * box, e.g. `HuntEntityType = "team" AND HuntDeadLetters > 0`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const HuntEntityType = defineSearchAttributeKey('HuntEntityType', SearchAttributeType.KEYWORD);
export const HuntEntityKey = defineSearchAttributeKey('HuntEntityKey', SearchAttributeType.KEYWORD);
export const HuntLastEventType = defineSearchAttributeKey('HuntLastEventType', SearchAttributeType.KEYWORD);
export const HuntConfigVersion = defineSearchAttributeKey('HuntConfigVersion', SearchAttributeType.KEYWORD);
export const HuntDeadLetters = defineSearchAttributeKey('HuntDeadLetters', SearchAttributeType.INT);
export const HuntEventCount = defineSearchAttributeKey('HuntEventCount', SearchAttributeType.INT);
export const HuntRulesFired = defineSearchAttributeKey('HuntRulesFired', SearchAttributeType.KEYWORD_LIST);
export const HuntEnded = defineSearchAttributeKey('HuntEnded', SearchAttributeType.BOOL);
/** On the workflows of operator operations (issue 18): `replay`, `redrive`, `connector-pause`, `rule-pause`. */
export const HuntOperation = defineSearchAttributeKey('HuntOperation', SearchAttributeType.KEYWORD);
/** The connector or rule an operation is about (a pause's connector name or rule id). */
export const HuntTarget = defineSearchAttributeKey('HuntTarget', SearchAttributeType.KEYWORD);
/** On an entity: the paused connectors its calls wait on (empty when none waits). */
export const HuntWaitingOn = defineSearchAttributeKey('HuntWaitingOn', SearchAttributeType.KEYWORD_LIST);

/** Any of the keys above (for lists of keys). */
export type AnyKey = typeof HuntEntityType | typeof HuntDeadLetters | typeof HuntRulesFired | typeof HuntEnded;

/** Every key, for registering them with a server. */
export const allSearchAttributeKeys: AnyKey[] = [
  HuntEntityType,
  HuntEntityKey,
  HuntLastEventType,
  HuntConfigVersion,
  HuntDeadLetters,
  HuntEventCount,
  HuntRulesFired,
  HuntEnded,
  HuntOperation,
  HuntTarget,
  HuntWaitingOn,
];

const cliTypes: Record<AnyKey['type'], 'Keyword' | 'Int' | 'KeywordList' | 'Bool'> = {
  KEYWORD: 'Keyword',
  INT: 'Int',
  KEYWORD_LIST: 'KeywordList',
  BOOL: 'Bool',
};

/** Name → CLI type for `temporal server start-dev --search-attribute name=Type`, from the keys above. */
export const searchAttributeDefinitions: Record<string, 'Keyword' | 'Int' | 'KeywordList' | 'Bool'> =
  Object.fromEntries(allSearchAttributeKeys.map((key) => [key.name, cliTypes[key.type]]));
