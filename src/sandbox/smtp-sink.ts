/**
 * The sandbox's mail server: a real SMTP server (`smtp-server`, from the Nodemailer project) on 127.0.0.1 that
 * accepts any sender and recipient without TLS or authentication, parses each message (`mailparser`) and asks its
 * owner how to answer — so the sandbox records mails beside HTTP requests and fails them on command.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/** One message as received. */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  messageId?: string;
  /** Lower-case header names → values, as text. */
  headers: Record<string, string>;
  text: string;
}

/** How to answer one message: accept it, or refuse with an SMTP reply code (4xx temporary, 5xx permanent). */
export type SmtpAnswer = { accept: true; queuedAs: string } | { accept: false; code: number; message: string };

export interface SmtpSinkOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  answer(mail: ReceivedMail): SmtpAnswer;
}

export interface SmtpSink {
  readonly port: number;
  /** `smtp://host:port`, what a connector's settings read. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the SMTP sink; resolves once it listens. */
export async function startSmtpSink(options: SmtpSinkOptions): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    banner: 'treasure hunt sandbox',
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of parsed.headers) headers[name] = headerText(value);
          const address = (a: SMTPServerAddress | false) => (a ? a.address : '');
          const answer = options.answer({
            from: address(session.envelope.mailFrom),
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            ...(parsed.messageId !== undefined && { messageId: parsed.messageId }),
            headers,
            text: parsed.text ?? '',
          });
          if (answer.accept) return callback(null, `queued as ${answer.queuedAs}`);
          const err = Object.assign(new Error(answer.message), { responseCode: answer.code });
          return callback(err);
        })
        .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    },
  });
  server.listen(options.port ?? 0, host);
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function headerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object' && 'text' in value && typeof value.text === 'string') return value.text;
  if (value && typeof value === 'object' && 'value' in value && typeof value.value === 'string') return value.value;
  return JSON.stringify(value);
}
