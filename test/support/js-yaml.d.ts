/**
 * The one function the compose structure test uses from js-yaml (present in node_modules as a
 * dependency of eslint and @redocly tooling; it ships no types of its own).
 */
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
