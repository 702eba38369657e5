import { DeliveryRoute, routeForError, sentAs } from './delivery-routing';

describe('routeForError', () => {
  it.each([
    ['131026', 'template', DeliveryRoute.NEXT_CHANNEL],
    ['131062', 'template', DeliveryRoute.NEXT_CHANNEL],
    ['470', 'template', DeliveryRoute.NEXT_CHANNEL],
    ['131047', 'template', DeliveryRoute.NEXT_CHANNEL],
    ['470', 'text', DeliveryRoute.AS_TEMPLATE],
    ['131047', 'text', DeliveryRoute.AS_TEMPLATE],
    ['131056', 'template', DeliveryRoute.RETRY_LATER],
    ['130429', 'text', DeliveryRoute.RETRY_LATER],
    ['131000', 'template', DeliveryRoute.NEXT_CHANNEL],
  ] as const)('Meta %s on %s → %s', (code, as, route) => {
    expect(routeForError('meta', code, as)).toBe(route);
  });

  it.each([
    ['63016', DeliveryRoute.NEXT_CHANNEL],
    ['63024', DeliveryRoute.NEXT_CHANNEL],
    ['21211', DeliveryRoute.NEXT_CHANNEL],
    ['21614', DeliveryRoute.NEXT_CHANNEL],
    ['63038', DeliveryRoute.NEXT_CHANNEL],
    ['63018', DeliveryRoute.RETRY_LATER],
  ] as const)('Twilio %s → %s', (code, route) => {
    expect(routeForError('twilio', code, 'text')).toBe(route);
  });

  it("reads each provider's codes from its own table only", () => {
    expect(routeForError('twilio', '131056', 'text')).toBe(DeliveryRoute.NEXT_CHANNEL);
    expect(routeForError('meta', '63018', 'template')).toBe(DeliveryRoute.NEXT_CHANNEL);
    expect(routeForError('sandbox', '131056', 'text')).toBe(DeliveryRoute.NEXT_CHANNEL);
  });

  it('moves on when there is no code (timeouts, transport errors)', () => {
    expect(routeForError('meta', null, 'template')).toBe(DeliveryRoute.NEXT_CHANNEL);
    expect(routeForError(null, undefined, 'text')).toBe(DeliveryRoute.NEXT_CHANNEL);
  });

  it('knows that only Meta sends a code as a template', () => {
    expect(sentAs('meta', 'code')).toBe('template');
    expect(sentAs('meta', 'text')).toBe('text');
    expect(sentAs('twilio', 'code')).toBe('text');
    expect(sentAs('sandbox', 'code')).toBe('text');
  });
});
