import { ConsoleLogger } from '@nestjs/common';

/** Nest's start-up chatter (one line per module, controller and route): shown at LOG_LEVEL=debug only. */
const START_UP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * The console logger, with Nest's start-up lines demoted from `log` to `debug`, so a default start
 * prints only what an operator needs (main.ts ends it with a short banner).
 */
export class QuietStartLogger extends ConsoleLogger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) {
      super.debug(message, ...optionalParams);
      return;
    }
    super.log(message, ...optionalParams);
  }
}
