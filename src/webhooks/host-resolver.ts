import { Injectable } from '@nestjs/common';
import { LookupAddress, promises as dns } from 'node:dns';

/**
 * Name resolution for client-webhook hosts, behind a class so the URL policy can be tested with a
 * stub. `family` 0 asks for both IPv4 and IPv6.
 */
export abstract class HostResolver {
  abstract lookup(hostname: string, family: 0 | 4 | 6): Promise<LookupAddress[]>;
}

/** The system resolver (`getaddrinfo`, like the HTTP client would use), every address, in its order. */
@Injectable()
export class SystemHostResolver extends HostResolver {
  lookup(hostname: string, family: 0 | 4 | 6): Promise<LookupAddress[]> {
    return dns.lookup(hostname, { all: true, family, order: 'verbatim' });
  }
}
