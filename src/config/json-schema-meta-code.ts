/**
 * The draft-07 meta-schema validator as ajv standalone code (a CommonJS module, so that both the ES module
 * build and the CommonJS bundle of the offline commands load it synchronously), compiled with the config
 * checks' options. `npm run build` writes it to dist/src/config/json-schema-draft07.cjs, where
 * json-schema-check.ts picks it up.
 */
import standaloneCodeModule from 'ajv/dist/standalone/index.js';
import { createAjv, DRAFT_07 } from './json-schema-check.js';

// ajv's standalone entry is CommonJS: under NodeNext its default export arrives wrapped.
const standaloneCode = standaloneCodeModule.default;

/** The module's source. Its runtime helper (deep equality) comes from ajv's package, as ajv's own code has it. */
export function draft07ValidatorCode(): string {
  const ajv = createAjv({ code: { source: true } });
  const validate = ajv.getSchema(DRAFT_07);
  if (!validate) throw new Error(`ajv has no ${DRAFT_07} meta-schema`);
  return `${standaloneCode(ajv, validate)}\n`;
}
