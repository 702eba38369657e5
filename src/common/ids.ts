import { v7 as uuidv7 } from 'uuid';

/** Time-ordered ids (UUIDv7): unique across instances and sortable, so keyset pagination can use them. */
export function newId(): string {
  return uuidv7();
}
