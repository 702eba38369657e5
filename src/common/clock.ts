import { Injectable } from '@nestjs/common';

/** The one source of "now", so tests can control time. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
