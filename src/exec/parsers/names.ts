/**
 * The tool formats `parser:` knows (Gator's tool-based log parsers). Only
 * the names: definitions check against them without loading the parsers.
 */
export const PARSER_NAMES = ["gcc", "clang", "pytest", "eslint", "tap"] as const;
export type ParserName = (typeof PARSER_NAMES)[number];
