import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StrataError } from '../../lib/errors.ts';
import { generatePassword } from './passwords.ts';
import { RoleStore } from './roles.ts';
import { UserStore } from './users.ts';

export const USERS_USAGE = `  strata users list --data-dir DIR
  strata users add NAME --role ROLE --data-dir DIR [--password-stdin]
  strata users passwd NAME --data-dir DIR [--password-stdin]
  strata users role NAME ROLE --data-dir DIR
  strata users delete NAME --data-dir DIR
                                                    manage a node's users on its data directory (also while
                                                    it runs); without --password-stdin a password is generated
                                                    and printed once`;

/**
 * `strata users`: the node's users edited on its data directory, as an operator on the host does when the admin
 * password is lost (there is no API to call without it). A running node re-reads the file on its next request.
 * Passwords come from standard input (never the command line, which `ps` and shell history would keep) or are
 * generated and printed once. Returns the exit code.
 */
export async function usersMain(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), stdin: () => Promise<string> = readStdin): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [sub, name, arg] = positionals;
  if (!values['data-dir']) throw new StrataError('invalid_config', '--data-dir is required: the node\'s data directory');
  const dir = join(resolve(values['data-dir']), 'security');
  const roles = RoleStore.open(dir);
  const users = UserStore.open(dir, (r) => roles.get(r) !== null);
  const password = async (): Promise<{ value: string; generated: boolean }> => {
    if (!values['password-stdin']) return { value: generatePassword(), generated: true };
    const v = (await stdin()).replace(/\r?\n$/, '');
    return { value: v, generated: false };
  };
  const need = (v: string | undefined, what: string): string => {
    if (v === undefined || v === '') throw new StrataError('invalid_config', `give the ${what}: strata users ${sub} ${sub === 'role' ? 'NAME ROLE' : 'NAME'} --data-dir DIR`);
    return v;
  };
  switch (sub) {
    case 'list':
      for (const u of users.list()) out(`${u.username}\t${u.role}\tcreated ${u.created_at}\n`);
      return 0;
    case 'add': {
      const username = need(name, 'username');
      const role = values.role ?? need(undefined, 'role (--role admin|editor|viewer|<custom>)');
      const p = await password();
      await users.add(username, p.value, role);
      out(p.generated ? `created user "${username}" (${role}) with password ${p.value}\n(shown only now)\n` : `created user "${username}" (${role})\n`);
      return 0;
    }
    case 'passwd': {
      const username = need(name, 'username');
      if (!users.get(username)) throw new StrataError('not_found', `no user named "${username}"`);
      const p = await password();
      await users.setPassword(username, p.value);
      out(p.generated ? `new password for "${username}": ${p.value}\n(shown only now; their dashboard sessions have ended)\n` : `password of "${username}" changed; their dashboard sessions have ended\n`);
      return 0;
    }
    case 'role': {
      const u = users.setRole(need(name, 'username'), need(arg, 'role'));
      out(`"${u.username}" now has role ${u.role}\n`);
      return 0;
    }
    case 'delete':
      users.delete(need(name, 'username'));
      out(`deleted user "${name}"\n`);
      return 0;
    default:
      out(`usage:\n${USERS_USAGE}\n`);
      return sub === undefined || sub === 'help' ? 0 : 2;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
