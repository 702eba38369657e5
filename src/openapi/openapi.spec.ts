import { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocumentProblems } from './openapi';
import { toOpenApi31Schemas } from './openapi-31';

const doc = (paths: Record<string, unknown>, schemas: Record<string, unknown> = {}) =>
  ({
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths,
    components: { schemas },
  }) as unknown as OpenAPIObject;

describe('openApiDocumentProblems', () => {
  it('accepts routes with @Auth security (even empty) and readable unique operationIds', () => {
    const document = doc({
      '/a': { get: { operationId: 'getA', security: [{ apiKey: [] }], responses: {} } },
      '/b': { post: { operationId: 'postB', security: [], responses: {} } },
    });
    expect(openApiDocumentProblems(document)).toEqual([]);
  });

  it('names a route without security, a generated operationId and a duplicate one', () => {
    const document = doc({
      '/a': { get: { operationId: 'getA', responses: {} } },
      '/b': { get: { operationId: 'BController_get', security: [], responses: {} } },
      '/c': { get: { operationId: 'getA', security: [], responses: {} } },
    });
    expect(openApiDocumentProblems(document)).toEqual([
      'GET /a has no @Auth(...): its security is undocumented',
      'GET /b needs a camelCase operationId in @ApiOperation (has BController_get)',
      'GET /c: operationId getA is used twice',
    ]);
  });
});

describe('toOpenApi31Schemas', () => {
  it('turns nullable: true into JSON Schema null types, and leaves examples alone', () => {
    const document = doc(
      {},
      {
        Thing: {
          type: 'object',
          properties: {
            name: { type: 'string', nullable: true, example: { nullable: true } },
            kind: { type: 'string', enum: ['a', 'b'], nullable: true },
            limit: { type: 'integer', nullable: true },
            tags: { type: 'array', items: { type: 'string' }, nullable: true },
            child: {
              description: 'd',
              nullable: true,
              type: 'object',
              allOf: [{ $ref: '#/components/schemas/Child' }],
            },
            plain: { type: 'string' },
          },
        },
      },
    );
    toOpenApi31Schemas(document);
    expect(document.components!.schemas!.Thing).toEqual({
      type: 'object',
      properties: {
        name: { type: ['string', 'null'], example: { nullable: true } },
        kind: { type: ['string', 'null'], enum: ['a', 'b', null] },
        limit: { type: ['integer', 'null'] },
        tags: { type: ['array', 'null'], items: { type: 'string' } },
        child: {
          description: 'd',
          oneOf: [{ $ref: '#/components/schemas/Child' }, { type: 'null' }],
        },
        plain: { type: 'string' },
      },
    });
  });
});
