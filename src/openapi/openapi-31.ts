import { OpenAPIObject } from '@nestjs/swagger';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys whose values are data (examples, defaults, enums), never schemas: not walked. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const']);

/**
 * @nestjs/swagger writes OpenAPI 3.0 `nullable: true`; a 3.1 document says the same with JSON Schema:
 * `type: ['string', 'null']` (and `null` among the enum values), or `oneOf: [<$ref>, { type: 'null' }]`
 * for a nullable object reference.
 */
export function toOpenApi31Schemas(document: OpenAPIObject): void {
  walk(document);
}

function walk(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(walk);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) if (!DATA_KEYS.has(key)) walk(value);
  if (node.nullable === true) makeNullable(node);
  delete node.nullable;
}

function makeNullable(schema: Json): void {
  if (typeof schema.type === 'string' && !schema.allOf && !schema.$ref) {
    schema.type = [schema.type, 'null'];
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
    return;
  }
  const refs = Array.isArray(schema.allOf)
    ? schema.allOf
    : schema.$ref
      ? [{ $ref: schema.$ref }]
      : [];
  if (refs.length !== 1) throw new Error(`cannot express nullable for ${JSON.stringify(schema)}`);
  delete schema.allOf;
  delete schema.$ref;
  delete schema.type;
  schema.oneOf = [refs[0], { type: 'null' }];
}
