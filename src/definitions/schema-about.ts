/**
 * A key's documentation: what it does, in one to three sentences, and examples
 * written as a user writes them. Editors show both on hover and completion, and
 * docs/reference/definitions.md is generated from them (`npm run docs`).
 */
export const about = (description: string, examples: unknown[], annotations: { default?: unknown } = {}) => ({ description, examples, ...annotations });
