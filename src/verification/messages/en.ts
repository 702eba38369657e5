import { MessageCatalog } from './message.types';

const app = (brand: string | null): string => (brand ? `the ${brand} app` : 'the app');
const minutes = (n: number): string => (n === 1 ? '1 minute' : `${n} minutes`);

export const en: MessageCatalog = {
  inboundRequest: ({ brand, token }) =>
    `Verify my number${brand ? ` for ${brand}` : ''}: ${token}. ` +
    'Send this message without changing it.',
  inboundConfirmed: ({ brand }) => `Your number is verified. You can go back to ${app(brand)}.`,
  inboundCode: ({ brand, code, minutes: n }) =>
    `${code} is your ${brand ? `${brand} ` : ''}verification code. ` +
    `It expires in ${minutes(n)}.`,
  inboundMismatch: ({ brand }) =>
    'Sorry, this code was requested for a different phone number. ' +
    `Please start again in ${app(brand)} with the number you use on WhatsApp.`,
  inboundExpired: ({ brand }) =>
    'This verification has expired or was already used. ' + `Please start again in ${app(brand)}.`,
  inboundHelp: ({ brand }) => `To verify your number, use the link from ${app(brand)}.`,
  inboundRefused: ({ brand }) =>
    `Sorry, this number cannot be verified for ${app(brand)}. ` +
    'Please try again later or with another number.',
  inboundSharePhone: ({ brand }) =>
    `To verify your number for ${app(brand)}, we need to see your phone number, ` +
    'which your WhatsApp username keeps hidden. Please share your number with us in this chat, ' +
    'then send the verification message again.',
  otpCode: ({ brand, code }) =>
    `${code} is your ${brand ? `${brand} ` : ''}verification code. Do not share it.`,
};
