/** `+6281212345678` → `+62812****5678`: enough to recognise a number, never the whole of it. */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  const digits = phone.replace(/^\+/, '');
  if (digits.length <= 6) return `+${'*'.repeat(digits.length)}`;
  const head = digits.slice(0, Math.min(5, digits.length - 6));
  const tail = digits.slice(-4);
  return `+${head}${'*'.repeat(digits.length - head.length - tail.length)}${tail}`;
}
